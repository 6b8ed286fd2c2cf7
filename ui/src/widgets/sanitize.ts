import DOMPurify from "dompurify";
import { Marked } from "marked";

// Links that leave the page open in a new tab and cannot reach back into it (window.opener).
DOMPurify.addHook("afterSanitizeAttributes", (node) => {
  if (node.tagName === "A" && node.getAttribute("href") !== null) {
    node.setAttribute("target", "_blank");
    node.setAttribute("rel", "noopener noreferrer");
  }
});

const markdown = new Marked({ gfm: true, async: false });
const markdownWithBreaks = new Marked({ gfm: true, breaks: true, async: false });

/**
 * HTML from a function or the app author, made safe to insert: DOMPurify drops scripts, event
 * handler attributes, `javascript:` URLs and the like. Always on, whatever `sanitize_html` says:
 * the page shows what users' inputs may have shaped.
 */
export function sanitizeHtml(html: string): string {
  return DOMPurify.sanitize(html, { USE_PROFILES: { html: true } });
}

/** Markdown (GitHub flavour) rendered to sanitized HTML. */
export function renderMarkdown(text: string, lineBreaks = false): string {
  const html = (lineBreaks ? markdownWithBreaks : markdown).parse(text) as string;
  return sanitizeHtml(html);
}
