import type { ComponentChildren } from "preact";
import type { WidgetProps } from "./WidgetProps.ts";

/** A JSON value as a tree: objects and arrays fold (native `<details>`, so the keyboard works). */
export function JsonView({ props, value, inputId }: WidgetProps) {
  return (
    <div class="json" id={inputId}>
      <JsonNode value={value} open={props["open"] !== false} depth={0} />
    </div>
  );
}

function JsonNode({
  value,
  open,
  depth,
  name,
}: {
  value: unknown;
  open: boolean;
  depth: number;
  name?: ComponentChildren;
}) {
  const key = name === undefined ? null : <span class="json-key">{name}: </span>;
  if (value === null || typeof value !== "object") {
    const cls = value === null ? "null" : typeof value;
    return (
      <div class="json-leaf">
        {key}
        <span class={`json-${cls}`}>{JSON.stringify(value) ?? "undefined"}</span>
      </div>
    );
  }
  const entries: [string, unknown][] = Array.isArray(value)
    ? value.map((v, i) => [String(i), v])
    : Object.entries(value);
  const [lb, rb] = Array.isArray(value) ? ["[", "]"] : ["{", "}"];
  if (entries.length === 0) {
    return (
      <div class="json-leaf">
        {key}
        {lb}
        {rb}
      </div>
    );
  }
  return (
    <details class="json-node" open={open || depth < 1}>
      <summary>
        {key}
        {lb}
        <span class="muted">
          {" "}
          {entries.length} {Array.isArray(value) ? "items" : "keys"}{" "}
        </span>
        {rb}
      </summary>
      <div class="json-children">
        {entries.map(([k, v]) => (
          <JsonNode key={k} name={k} value={v} open={open} depth={depth + 1} />
        ))}
      </div>
    </details>
  );
}
