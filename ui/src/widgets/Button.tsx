import { str, type WidgetProps } from "./WidgetProps.ts";

/** A button that fires `click`; its value is its text. */
export function Button({ id, props, value, ctx }: WidgetProps) {
  const variant = str(props, "variant", "secondary");
  const size = str(props, "size", "lg");
  const link = str(props, "link");
  const text = value === null || value === undefined ? "Run" : String(value);
  if (link !== "") {
    return (
      <a class={`button ${variant} ${size}`} href={link} rel="noopener noreferrer">
        {text}
      </a>
    );
  }
  return (
    <button
      type="button"
      id={`component-${id}-button`}
      class={`button ${variant} ${size}`}
      disabled={props["interactive"] === false}
      onClick={() => ctx.runtime.fire(id, "click")}
    >
      {text}
    </button>
  );
}
