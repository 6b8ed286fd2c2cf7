import { choices, type WidgetProps } from "./WidgetProps.ts";

/** Several checkboxes; the value is the list of ticked choices. */
export function CheckboxGroup({ id, props, value, interactive, inputId, labelId, ctx }: WidgetProps) {
  const selected = Array.isArray(value) ? value : [];
  const options = choices(props);
  return (
    <div class="radio-group" role="group" aria-labelledby={labelId}>
      {options.map(([label, v], i) => (
        <label key={i} class="choice">
          <input
            type="checkbox"
            id={i === 0 ? inputId : undefined}
            checked={selected.includes(v)}
            disabled={!interactive}
            onChange={(e) => {
              const on = (e.currentTarget as HTMLInputElement).checked;
              // Keep the choices' order, whatever order they were ticked in.
              const next = options.map(([, c]) => c).filter((c) => (c === v ? on : selected.includes(c)));
              ctx.runtime.userInput(id, next);
            }}
          />
          <span>{label}</span>
        </label>
      ))}
    </div>
  );
}
