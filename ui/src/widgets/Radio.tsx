import { choices, type WidgetProps } from "./WidgetProps.ts";

/** Radio buttons in a group named by the block's label; arrow keys move between them (native). */
export function Radio({ id, props, value, interactive, labelId, inputId, ctx }: WidgetProps) {
  return (
    <div class="radio-group" role="radiogroup" aria-labelledby={labelId}>
      {choices(props).map(([label, v], i) => (
        <label key={i} class="choice">
          <input
            type="radio"
            id={i === 0 ? inputId : undefined}
            name={`${inputId}-radio`}
            checked={v === value}
            disabled={!interactive}
            onChange={() => {
              ctx.runtime.userInput(id, v);
              ctx.runtime.fire(id, "select");
            }}
          />
          <span>{label}</span>
        </label>
      ))}
    </div>
  );
}
