import { useEffect, useMemo, useRef } from "preact/hooks";
import { isFileData } from "../config/AppConfig.ts";
import type { Endpoints } from "../config/Endpoints.ts";
import { fileName } from "./fileName.ts";
import { renderMarkdown } from "./sanitize.ts";
import { num, str, type WidgetProps } from "./WidgetProps.ts";

interface Message {
  readonly role: string;
  readonly content: unknown;
  readonly metadata?: Record<string, unknown> | null;
}

/** Gradio 5 messages (`{role, content}`), or the old `[user, bot]` pairs. */
function toMessages(value: unknown): Message[] {
  if (!Array.isArray(value)) return [];
  const out: Message[] = [];
  for (const item of value) {
    if (Array.isArray(item)) {
      if (item[0] !== null && item[0] !== undefined) out.push({ role: "user", content: item[0] });
      if (item[1] !== null && item[1] !== undefined) out.push({ role: "assistant", content: item[1] });
    } else if (typeof item === "object" && item !== null && typeof (item as Message).role === "string") {
      out.push(item as Message);
    }
  }
  return out;
}

/** A chat transcript: one bubble per message, Markdown sanitized, files shown inline. Scrolls to the newest. */
export function Chatbot({ props, value, inputId, labelId, ctx }: WidgetProps) {
  const messages = toMessages(value);
  const list = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = list.current;
    if (el !== null && props["autoscroll"] !== false) el.scrollTop = el.scrollHeight;
  });
  const height = num(props, "height", null) ?? (str(props, "height") || 400);
  return (
    <div
      class="chatbot"
      id={inputId}
      ref={list}
      role="log"
      aria-labelledby={labelId}
      tabIndex={0}
      style={{ maxHeight: typeof height === "number" ? `${height}px` : height }}
    >
      {messages.length === 0 && <div class="muted chat-placeholder">{str(props, "placeholder")}</div>}
      {messages.map((m, i) => (
        <div key={i} class={`bubble ${m.role === "user" ? "user" : "bot"}`} data-role={m.role}>
          {typeof m.metadata?.["title"] === "string" && <div class="bubble-title">{m.metadata["title"]}</div>}
          <Content content={m.content} endpoints={ctx.endpoints} lineBreaks={props["line_breaks"] !== false} />
        </div>
      ))}
    </div>
  );
}

function Content({ content, endpoints, lineBreaks }: { content: unknown; endpoints: Endpoints; lineBreaks: boolean }) {
  const text = typeof content === "string" ? content : null;
  const html = useMemo(() => (text === null ? "" : renderMarkdown(text, lineBreaks)), [text, lineBreaks]);
  if (text !== null) return <div class="prose" dangerouslySetInnerHTML={{ __html: html }} />;
  const wrapped =
    typeof content === "object" && content !== null && "file" in content
      ? (content as { file: unknown; alt_text?: unknown })
      : null;
  const file = wrapped !== null ? wrapped.file : content;
  if (isFileData(file)) {
    const src = endpoints.fileUrl(file);
    const mime = file.mime_type ?? "";
    const alt = typeof wrapped?.alt_text === "string" ? wrapped.alt_text : fileName(file);
    if (mime.startsWith("image/") || /\.(png|jpe?g|gif|webp|bmp)$/i.test(file.path))
      return <img class="chat-image" src={src} alt={alt} />;
    if (mime.startsWith("audio/") || /\.(wav|mp3|ogg|flac|m4a)$/i.test(file.path))
      return <audio controls src={src} aria-label={alt} />;
    return (
      <a href={src} download={fileName(file)}>
        {fileName(file)}
      </a>
    );
  }
  return <pre class="code">{JSON.stringify(content, null, 2)}</pre>;
}
