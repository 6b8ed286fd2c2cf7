import { JsonView } from "./JsonView.tsx";
import type { WidgetProps } from "./WidgetProps.ts";

/** A component type this page does not know: its value as JSON, so that nothing is hidden. */
export function Fallback(p: WidgetProps) {
  return (
    <div class="fallback">
      <div class="muted">{p.type}</div>
      <JsonView {...p} />
    </div>
  );
}
