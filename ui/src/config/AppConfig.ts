/**
 * The parts of Gradio's config JSON (`GET /config`, protocol doc §4) that the page reads. Fields
 * are optional where older servers or other app models may leave them out.
 */

/** One component or layout block: `{ id, type, props }`. */
export interface ComponentConfig {
  readonly id: number;
  /** Lowercase block name: "textbox", "row", "tabs", "dataset", ... */
  readonly type: string;
  readonly props: Readonly<Record<string, unknown>>;
  readonly skip_api?: boolean;
}

/** A node of the layout tree: a block id and, for layouts, its children. */
export interface LayoutNode {
  readonly id: number;
  readonly children?: readonly LayoutNode[];
}

/** One event listener (a dependency); its index in `dependencies` is its fn_index. */
export interface DependencyConfig {
  readonly id?: number;
  /** `[component id, event name]` pairs that fire it. */
  readonly targets: readonly (readonly [number, string])[];
  readonly inputs: readonly number[];
  readonly outputs: readonly number[];
  /** False for front-end-only listeners (Interface's Clear button). */
  readonly backend_fn?: boolean;
  readonly js?: string | null;
  /** null: follow `enable_queue`. */
  readonly queue?: boolean | null;
  readonly api_name?: string | false | null;
  readonly batch?: boolean;
  readonly show_progress?: "full" | "minimal" | "hidden";
  readonly cancels?: readonly number[];
  readonly types?: { readonly generator?: boolean; readonly cancel?: boolean };
  readonly trigger_after?: number | null;
  readonly trigger_only_on_success?: boolean;
  readonly trigger_only_on_failure?: boolean;
  readonly trigger_mode?: "once" | "multiple" | "always_last";
  readonly connection?: string;
  readonly scroll_to_output?: boolean;
}

/** The config JSON. */
export interface AppConfig {
  readonly version?: string;
  readonly mode?: string;
  readonly title?: string;
  readonly root?: string;
  readonly api_prefix?: string;
  readonly protocol?: string;
  readonly enable_queue?: boolean;
  readonly show_api?: boolean;
  readonly show_error?: boolean;
  readonly connect_heartbeat?: boolean;
  readonly max_file_size?: number | null;
  readonly components: readonly ComponentConfig[];
  readonly layout: LayoutNode;
  readonly dependencies: readonly DependencyConfig[];
  readonly css?: string | null;
  /**
   * Path of the multiplexed WebSocket queue (e.g. "/gradio_api/queue/ws") when the server offers
   * it; the page then uses it instead of SSE. Absent: SSE.
   */
  readonly queue_ws?: string | null;
  readonly [key: string]: unknown;
}

/** Gradio's FileData: how a file travels on the wire. */
export interface FileData {
  readonly path: string;
  readonly url?: string | null;
  readonly size?: number | null;
  readonly orig_name?: string | null;
  readonly mime_type?: string | null;
  readonly is_stream?: boolean;
  readonly meta?: { readonly _type: string };
}

/** True for an object that looks like a FileData (a string `path` or `url`). */
export function isFileData(value: unknown): value is FileData {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  return typeof v["path"] === "string" || typeof v["url"] === "string";
}
