import type { Dependency } from "./Dependency.ts";
import type { Inputs, Listener } from "./Listener.ts";
import { Component, outputError, type ComponentOptions, type ProcessContext } from "./Component.ts";
import { fileDataSchema, type FileData } from "./FileData.ts";
import { storeOutputFile } from "./storeOutputFile.ts";

/** A file in a chat message, on the wire (Gradio's FileMessage). */
export interface ChatFile {
  file: FileData;
  alt_text?: string | null;
}

/** One chat message in Gradio 5's "messages" format. */
export interface ChatMessage {
  role: "user" | "assistant" | "system";
  /** Text (Markdown), a file, or a component message passed through. */
  content: string | ChatFile | Record<string, unknown>;
  /** Gradio's thought/metadata fields (`title`, `status`, `log`, ...). */
  metadata?: Record<string, unknown> | null;
  options?: Record<string, unknown>[] | null;
}

/** Options of {@link Chatbot}. */
export interface ChatbotOptions extends ComponentOptions {
  /** Initial messages. Default []. */
  value?: readonly ChatMessage[];
  /** Height of the display, pixels or CSS. Default 400. */
  height?: number | string;
  /** Shown while there are no messages. */
  placeholder?: string;
}

/**
 * A chat transcript in Gradio 5's messages format: `[{ role: "user" | "assistant", content, metadata? }]`.
 * The function receives the messages array (file contents stay FileData) and returns the new
 * array. A message's `content` may be a string, a file (Buffer, path, `{ path }`, `{ data, name }`,
 * or `{ file, alt_text }`; files are stored and sent as `{ file: FileData, alt_text }`), or a
 * component message object (passed through). Gradio's old `[[user, bot], ...]` pairs are
 * converted to messages.
 */
export class Chatbot extends Component<ChatMessage[]> {
  readonly type = "chatbot";
  readonly value: readonly ChatMessage[];
  readonly height: number | string;
  readonly placeholder: string | undefined;

  constructor(options: ChatbotOptions = {}) {
    super(options);
    this.value = options.value ?? [];
    this.height = options.height ?? 400;
    this.placeholder = options.placeholder;
  }

  override validate(payload: unknown): string | null {
    if (payload === null || payload === undefined) return null;
    if (!Array.isArray(payload)) return `Expected a list of messages for ${this.describe()}.`;
    for (const m of payload) {
      if (
        typeof m !== "object" ||
        m === null ||
        Array.isArray(m) ||
        typeof (m as { role?: unknown }).role !== "string"
      ) {
        return "Each message must be an object with a `role` and a `content`.";
      }
    }
    return null;
  }

  preprocess(payload: unknown): ChatMessage[] {
    return Array.isArray(payload) ? (payload as ChatMessage[]) : [];
  }

  async postprocess(value: unknown, ctx: ProcessContext): Promise<ChatMessage[]> {
    if (value === null || value === undefined) return [];
    if (!Array.isArray(value)) throw outputError(this, "a list of messages", value);
    const messages: { role: string; content: unknown; metadata?: unknown; options?: unknown }[] = [];
    for (const item of value) {
      if (Array.isArray(item) && item.length === 2) {
        // Gradio's deprecated tuples format: [user, bot] pairs.
        if (item[0] !== null && item[0] !== undefined) messages.push({ role: "user", content: item[0] });
        if (item[1] !== null && item[1] !== undefined) messages.push({ role: "assistant", content: item[1] });
      } else if (typeof item === "object" && item !== null && typeof (item as { role?: unknown }).role === "string") {
        messages.push(item as { role: string; content: unknown });
      } else {
        throw outputError(this, "messages like { role, content }", item);
      }
    }
    return Promise.all(
      messages.map(async (m) => ({
        role: m.role as ChatMessage["role"],
        metadata: (m.metadata ?? null) as Record<string, unknown> | null,
        content: await this.content(m.content, ctx),
        options: (m.options ?? null) as Record<string, unknown>[] | null,
      })),
    );
  }

  private async content(content: unknown, ctx: ProcessContext): Promise<ChatMessage["content"]> {
    if (typeof content === "string") return content;
    if (content === null || content === undefined) return "";
    if (typeof content === "number" || typeof content === "boolean") return String(content);
    if (typeof content === "object" && !(content instanceof Uint8Array) && "component" in content) {
      return content as Record<string, unknown>; // a component message: passed through
    }
    const wrapped = typeof content === "object" && content !== null && "file" in content;
    const file = wrapped ? (content as { file: unknown }).file : content;
    const altText = wrapped ? ((content as { alt_text?: string | null }).alt_text ?? null) : null;
    return { file: await storeOutputFile(file, ctx, "file", () => this.describe()), alt_text: altText };
  }

  apiInfo(): Record<string, unknown> {
    const file = fileDataSchema();
    const { $defs, additional_description: _, ...fileData } = file;
    const anyObject = { additionalProperties: true, type: "object" };
    return {
      $defs: {
        ...($defs as Record<string, unknown>),
        FileData: fileData,
        FileMessage: {
          properties: {
            file: { $ref: "#/$defs/FileData" },
            alt_text: { anyOf: [{ type: "string" }, { type: "null" }], default: null, title: "Alt Text" },
          },
          required: ["file"],
          title: "FileMessage",
          type: "object",
        },
        ComponentMessage: {
          properties: {
            component: { title: "Component", type: "string" },
            value: { title: "Value" },
            constructor_args: { ...anyObject, title: "Constructor Args" },
            props: { ...anyObject, title: "Props" },
          },
          required: ["component", "value", "constructor_args", "props"],
          title: "ComponentMessage",
          type: "object",
        },
        Message: {
          properties: {
            role: { title: "Role", type: "string" },
            metadata: { anyOf: [anyObject, { type: "null" }], default: null },
            content: {
              anyOf: [{ type: "string" }, { $ref: "#/$defs/FileMessage" }, { $ref: "#/$defs/ComponentMessage" }],
              title: "Content",
            },
            options: {
              anyOf: [{ items: anyObject, type: "array" }, { type: "null" }],
              default: null,
              title: "Options",
            },
          },
          required: ["role", "content"],
          title: "Message",
          type: "object",
        },
      },
      items: { $ref: "#/$defs/Message" },
      title: "ChatbotDataMessages",
      type: "array",
      additional_description: null,
    };
  }

  examplePayload(): unknown {
    return [
      { role: "user", metadata: null, content: "Hello!", options: null },
      { role: "assistant", metadata: null, content: "How can I help you?", options: null },
    ];
  }

  override configValue(): unknown {
    // Initial messages must already be wire-shaped: files in them cannot be stored before a request.
    return this.value.map((m) => ({
      role: m.role,
      metadata: m.metadata ?? null,
      content: m.content,
      options: m.options ?? null,
    }));
  }

  override configProps(): Record<string, unknown> {
    return {
      ...super.configProps(),
      type: "messages",
      height: this.height,
      placeholder: this.placeholder ?? null,
      autoscroll: true,
      render_markdown: true,
      sanitize_html: true,
      show_copy_button: false,
      group_consecutive_messages: true,
      latex_delimiters: [{ left: "$$", right: "$$", display: true }],
    };
  }

  /** Runs a listener when the user selects a message. */
  select<const TIn extends Inputs = [], TBatch extends boolean = false>(listener: Listener<TIn, TBatch>): Dependency {
    return this.on("select", listener);
  }

  /** Runs a listener when the user likes or dislikes a message. */
  like<const TIn extends Inputs = [], TBatch extends boolean = false>(listener: Listener<TIn, TBatch>): Dependency {
    return this.on("like", listener);
  }

  /** Runs a listener when the user clears the chat. */
  clear<const TIn extends Inputs = [], TBatch extends boolean = false>(listener: Listener<TIn, TBatch>): Dependency {
    return this.on("clear", listener);
  }
}
