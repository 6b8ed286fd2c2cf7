import { useMemo } from "preact/hooks";
import { sanitizeHtml } from "./sanitize.ts";
import type { WidgetProps } from "./WidgetProps.ts";

/** HTML, sanitized. */
export function Html({ value, inputId }: WidgetProps) {
  const text = value === null || value === undefined ? "" : String(value);
  const html = useMemo(() => sanitizeHtml(text), [text]);
  return <div id={inputId} class="prose html" dangerouslySetInnerHTML={{ __html: html }} />;
}
