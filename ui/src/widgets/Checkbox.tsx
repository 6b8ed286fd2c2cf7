import type { WidgetProps } from "./WidgetProps.ts";

/** A checkbox; the block's label names it. */
export function Checkbox({ id, value, interactive, inputId, ctx }: WidgetProps) {
  return (
    <input
      id={inputId}
      class="checkbox"
      type="checkbox"
      checked={value === true}
      disabled={!interactive}
      onChange={(e) => ctx.runtime.userInput(id, (e.currentTarget as HTMLInputElement).checked)}
    />
  );
}
