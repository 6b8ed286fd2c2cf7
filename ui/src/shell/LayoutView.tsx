import type { LayoutNode } from "../config/AppConfig.ts";
import type { AppStore } from "../runtime/AppStore.ts";
import type { WidgetContext } from "../widgets/WidgetProps.ts";
import { Block, flexStyle } from "./Block.tsx";
import { TabsView } from "./TabsView.tsx";

/** Props of {@link LayoutView}. */
export interface LayoutViewProps {
  readonly node: LayoutNode;
  readonly store: AppStore;
  readonly ctx: WidgetContext;
}

/** The children of a layout node, in order. */
export function LayoutChildren({ node, store, ctx }: LayoutViewProps) {
  return (
    <>
      {(node.children ?? []).map((child) => (
        <LayoutView key={child.id} node={child} store={store} ctx={ctx} />
      ))}
    </>
  );
}

/**
 * A node of the config's layout tree: Row (side by side, wrapping on narrow screens), Column,
 * Tabs of Tab items, Accordion (native `<details>`), Group/Form; any other block is a component.
 */
export function LayoutView({ node, store, ctx }: LayoutViewProps) {
  const config = store.component(node.id);
  const props = store.props(node.id);
  if (config !== undefined && props["visible"] === false) return null;
  const type = config?.type ?? "column";
  const id = typeof props["elem_id"] === "string" ? props["elem_id"] : `component-${node.id}`;
  const classes = Array.isArray(props["elem_classes"]) ? ` ${props["elem_classes"].join(" ")}` : "";
  const children = <LayoutChildren node={node} store={store} ctx={ctx} />;
  switch (type) {
    case "row":
      return (
        <div
          id={id}
          class={`row${props["equal_height"] === true ? " equal-height" : ""}${classes}`}
          style={flexStyle(props)}
        >
          {children}
        </div>
      );
    case "tabs":
      return <TabsView node={node} store={store} ctx={ctx} />;
    case "accordion":
      return (
        <details id={id} class={`accordion${classes}`} open={props["open"] !== false} style={flexStyle(props)}>
          <summary>{typeof props["label"] === "string" ? props["label"] : ""}</summary>
          <div class="column">{children}</div>
        </details>
      );
    case "group":
    case "form":
      return (
        <div id={id} class={`column ${type}${classes}`} style={flexStyle(props)}>
          {children}
        </div>
      );
    case "column":
    case "tab":
    case "tabitem":
    case "blocks":
      return (
        <div id={id} class={`column${classes}`} style={flexStyle(props)}>
          {children}
        </div>
      );
    default:
      if (node.children !== undefined && node.children.length > 0 && config === undefined) {
        return <div class="column">{children}</div>;
      }
      if (node.id === ctx.runtime.interfaceSubmitId) {
        return (
          <>
            <div class="block block-button">
              <button type="button" class="button secondary lg" onClick={() => ctx.runtime.clearInterface()}>
                Clear
              </button>
            </div>
            <Block id={node.id} store={store} ctx={ctx} />
          </>
        );
      }
      return <Block id={node.id} store={store} ctx={ctx} />;
  }
}
