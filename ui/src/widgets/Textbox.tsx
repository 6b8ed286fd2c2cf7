import { num, str, type WidgetProps } from "./WidgetProps.ts";

/**
 * A text field: one line (`<input>`, Enter fires `submit`) or several (`<textarea>`, Enter fires
 * `submit` when something listens to it, Shift+Enter adds a line). Read-only when it is an output.
 */
export function Textbox({ id, props, value, interactive, inputId, ctx }: WidgetProps) {
  const text = value === null || value === undefined ? "" : String(value);
  const lines = num(props, "lines", 1);
  const maxLines = num(props, "max_lines", Math.max(lines, 20));
  const placeholder = str(props, "placeholder") || undefined;
  const maxLength = num(props, "max_length", undefined);
  const onInput = (e: Event) => ctx.runtime.userInput(id, (e.currentTarget as HTMLInputElement).value);
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key !== "Enter" || e.shiftKey || e.isComposing || !interactive) return;
    if (lines > 1 && !ctx.runtime.listens(id, "submit")) return;
    e.preventDefault();
    ctx.runtime.fire(id, "submit");
  };
  if (lines <= 1 && maxLines <= 1) {
    // A literal type per branch: Preact's input typings tie `type` to the other attributes.
    const type = str(props, "type", "text");
    const common = {
      id: inputId,
      class: "input",
      value: text,
      placeholder,
      maxLength,
      readOnly: !interactive,
      autoFocus: props["autofocus"] === true,
      onInput,
      onKeyDown,
    };
    if (type === "password") return <input {...common} type="password" />;
    if (type === "email") return <input {...common} type="email" />;
    return <input {...common} type="text" />;
  }
  // Grow with the content up to max_lines, as Gradio does.
  const rows = Math.min(maxLines, Math.max(lines, text.split("\n").length));
  return (
    <textarea
      id={inputId}
      class="input"
      rows={rows}
      value={text}
      placeholder={placeholder}
      maxLength={maxLength}
      readOnly={!interactive}
      autoFocus={props["autofocus"] === true}
      onInput={onInput}
      onKeyDown={onKeyDown}
    />
  );
}
