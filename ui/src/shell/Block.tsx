import type { AppStore } from "../runtime/AppStore.ts";
import { widgetFor } from "../widgets/widgetFor.ts";
import type { WidgetContext } from "../widgets/WidgetProps.ts";
import { StatusTracker } from "./StatusTracker.tsx";

/** Flex sizing of a block in a Row from its `scale` and `min_width`. */
export function flexStyle(props: Readonly<Record<string, unknown>>): Record<string, string> {
  const style: Record<string, string> = {};
  if (typeof props["scale"] === "number") style["flexGrow"] = String(props["scale"]);
  if (typeof props["min_width"] === "number") style["minWidth"] = `min(${props["min_width"]}px, 100%)`;
  return style;
}

/**
 * One component on the page: its frame, its label (tied to the control with `for`, or named by
 * aria-labelledby for groups), its widget, and the status of the event that feeds it (with
 * `show_progress` "full", a loading overlay beside the queue position and ETA).
 */
export function Block({ id, store, ctx }: { id: number; store: AppStore; ctx: WidgetContext }) {
  const config = store.component(id);
  if (config === undefined || config.type === "state") return null;
  const props = store.props(id);
  if (props["visible"] === false) return null;
  const { widget: Widget, label: labelKind } = widgetFor(config.type);
  const inputId = `component-${id}-input`;
  const labelId = `component-${id}-label`;
  const label = typeof props["label"] === "string" ? props["label"] : "";
  const showLabel = props["show_label"] !== false;
  const status = store.status(id);
  const classes = Array.isArray(props["elem_classes"]) ? props["elem_classes"].join(" ") : "";
  const framed = props["container"] !== false && labelKind !== "none";
  const busy = status !== null && status.stage !== "error";
  let caption = null;
  if (labelKind !== "none" && label !== "") {
    const cls = showLabel ? "block-label" : "visually-hidden";
    caption =
      labelKind === "for" ? (
        <label class={cls} for={inputId} id={labelId}>
          {label}
        </label>
      ) : (
        <span class={cls} id={labelId}>
          {label}
        </span>
      );
  }
  return (
    <div
      class={`block block-${config.type}${framed ? " framed" : ""}${busy ? " busy" : ""} ${classes}`}
      id={typeof props["elem_id"] === "string" ? props["elem_id"] : `component-${id}`}
      data-testid={`block-${config.type}`}
      data-component-id={id}
      aria-busy={busy}
      style={flexStyle(props)}
    >
      {caption}
      {typeof props["info"] === "string" && props["info"] !== "" && <div class="block-info">{props["info"]}</div>}
      <Widget
        id={id}
        type={config.type}
        props={props}
        value={store.value(id)}
        interactive={ctx.runtime.isInteractive(id)}
        inputId={inputId}
        labelId={labelId}
        ctx={ctx}
      />
      {busy && status.showProgress === "full" && (
        // A shimmer and a spinner over the output while its event is pending, queued or running.
        <div class="loading" data-testid="loading" aria-hidden="true">
          <span class="spinner" />
        </div>
      )}
      {status !== null && status.showProgress !== "hidden" && <StatusTracker status={status} />}
    </div>
  );
}
