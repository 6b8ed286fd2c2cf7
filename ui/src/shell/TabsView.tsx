import { useRef, useState } from "preact/hooks";
import type { LayoutViewProps } from "./LayoutView.tsx";
import { LayoutChildren } from "./LayoutView.tsx";

/**
 * Tabs: a tablist (arrow keys, Home and End move between tabs, as the WAI-ARIA pattern says) and
 * one panel per Tab item. Hidden panels stay mounted so that their inputs keep their state.
 */
export function TabsView({ node, store, ctx }: LayoutViewProps) {
  const items = (node.children ?? []).filter((c) => store.props(c.id)["visible"] !== false);
  const initial = Math.max(
    0,
    items.findIndex(
      (c) => store.props(c.id)["id"] === store.props(node.id)["selected"] && store.props(node.id)["selected"] !== null,
    ),
  );
  const [selected, setSelected] = useState(initial);
  const tabs = useRef<(HTMLButtonElement | null)[]>([]);
  const go = (i: number) => {
    const n = (i + items.length) % items.length;
    setSelected(n);
    tabs.current[n]?.focus();
    const item = items[n];
    if (item !== undefined) ctx.runtime.fire(item.id, "select");
  };
  return (
    <div class="tabs" id={`component-${node.id}`}>
      <div class="tablist" role="tablist">
        {items.map((item, i) => (
          <button
            key={item.id}
            type="button"
            role="tab"
            ref={(el) => {
              tabs.current[i] = el;
            }}
            id={`tab-${item.id}`}
            aria-selected={i === selected}
            aria-controls={`tabpanel-${item.id}`}
            tabIndex={i === selected ? 0 : -1}
            disabled={store.props(item.id)["interactive"] === false}
            onClick={() => go(i)}
            onKeyDown={(e) => {
              const key = e.key;
              if (key === "ArrowRight") go(i + 1);
              else if (key === "ArrowLeft") go(i - 1);
              else if (key === "Home") go(0);
              else if (key === "End") go(items.length - 1);
              else return;
              e.preventDefault();
            }}
          >
            {String(store.props(item.id)["label"] ?? `Tab ${i + 1}`)}
          </button>
        ))}
      </div>
      {items.map((item, i) => (
        <div
          key={item.id}
          role="tabpanel"
          id={`tabpanel-${item.id}`}
          aria-labelledby={`tab-${item.id}`}
          hidden={i !== selected}
          class="column tabpanel"
        >
          <LayoutChildren node={item} store={store} ctx={ctx} />
        </div>
      ))}
    </div>
  );
}
