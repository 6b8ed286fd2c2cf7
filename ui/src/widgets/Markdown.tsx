import { useMemo } from "preact/hooks";
import { renderMarkdown } from "./sanitize.ts";
import type { WidgetProps } from "./WidgetProps.ts";

/** Markdown, rendered and sanitized. */
export function Markdown({ props, value, inputId }: WidgetProps) {
  const text = value === null || value === undefined ? "" : String(value);
  const html = useMemo(() => renderMarkdown(text, props["line_breaks"] === true), [text, props["line_breaks"]]);
  return <div id={inputId} class="prose" dangerouslySetInnerHTML={{ __html: html }} />;
}
