import { num, str, type WidgetProps } from "./WidgetProps.ts";

/** A number field. An empty field is null on the wire; Enter fires `submit`. */
export function NumberInput({ id, props, value, interactive, inputId, ctx }: WidgetProps) {
  const precision = num(props, "precision", null);
  return (
    <input
      id={inputId}
      class="input"
      type="number"
      value={typeof value === "number" ? String(value) : ""}
      min={num(props, "minimum", undefined)}
      max={num(props, "maximum", undefined)}
      step={precision === 0 ? Math.max(1, num(props, "step", 1)) : num(props, "step", 1) || "any"}
      placeholder={str(props, "placeholder") || undefined}
      readOnly={!interactive}
      onInput={(e) => {
        const raw = (e.currentTarget as HTMLInputElement).value;
        const n = raw === "" ? null : Number(raw);
        if (n === null || Number.isFinite(n)) ctx.runtime.userInput(id, n);
      }}
      onKeyDown={(e) => {
        if (e.key === "Enter" && interactive) {
          e.preventDefault();
          ctx.runtime.fire(id, "submit");
        }
      }}
    />
  );
}
