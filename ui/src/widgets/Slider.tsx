import { num, type WidgetProps } from "./WidgetProps.ts";

/** A range slider with a number box beside it; letting go fires `release`. */
export function Slider({ id, props, value, interactive, inputId, labelId, ctx }: WidgetProps) {
  const min = num(props, "minimum", 0);
  const max = num(props, "maximum", 100);
  const step = num(props, "step", 1);
  const v = typeof value === "number" ? value : min;
  const set = (e: Event) => {
    const n = Number((e.currentTarget as HTMLInputElement).value);
    if (Number.isFinite(n)) ctx.runtime.userInput(id, n);
  };
  return (
    <div class="slider">
      <input
        id={inputId}
        type="range"
        min={min}
        max={max}
        step={step || "any"}
        value={v}
        disabled={!interactive}
        onInput={set}
        onChange={() => ctx.runtime.fire(id, "release")}
      />
      <input
        class="input slider-number"
        type="number"
        aria-labelledby={labelId}
        min={min}
        max={max}
        step={step || "any"}
        value={v}
        readOnly={!interactive}
        onInput={set}
      />
    </div>
  );
}
