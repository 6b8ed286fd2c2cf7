/**
 * What the server needs from an app (a built `Blocks` or `Interface`). The server never sees a
 * component: it validates through {@link AppFunction.validate}, runs through the engine, and
 * describes the app with {@link ServedApp.config} and {@link ServedApp.apiInfo}.
 */
import type { EngineFunction } from "../queue/index.ts";
import type { FileStore } from "../store/index.ts";
import type { WorkerPool } from "../runtime/index.ts";
import type { SessionStateStore } from "./SessionState.ts";

/** One dependency (event listener) of a built app. Its `id` is its fn_index. */
export interface AppFunction extends EngineFunction {
  /** Endpoint name without the leading slash ("predict"), or null when hidden (`apiName: false`). */
  readonly apiName: string | null;
  /** Whether this dependency goes through the queue (when the app's queue is on). */
  readonly queue: boolean;
  /** How many values its `data` must hold (one per input component, State included). */
  readonly inputCount: number;
  /** Whether it writes the session's State (a State among its outputs); absent: it may. */
  readonly writesState?: boolean;
  /**
   * Checks the wire inputs cheaply before admission. Throws UsherError VALIDATION (422) whose
   * `detail` is a list of `{ is_valid: false, message, parameter_name }`, or BAD_REQUEST.
   */
  validate(data: unknown): void;
}

/** Per-request facts for the config JSON. */
export interface ConfigContext {
  /** Public base URL of this request, e.g. "http://127.0.0.1:7860" (rootPath included). */
  readonly rootUrl: string;
  /** Whether `.queue()` was called (or implied on Spaces). */
  readonly queueEnabled: boolean;
  readonly showError: boolean;
  readonly maxFileSize: number | null;
  /** Stable per-process id (`app_id`). */
  readonly appId: number;
  /** Usher prefix for API routes: "/gradio_api". */
  readonly apiPrefix: string;
  /** Under `usher --reload` (`dev_mode`): the page reloads itself when the server is replaced. Absent: false. */
  readonly devMode?: boolean;
}

/** A built app, ready to be served. */
export interface ServedApp {
  /** Index = fn_index. */
  readonly functions: readonly AppFunction[];
  readonly title: string;
  /** Gradio's config JSON (`GET /config`). */
  config(ctx: ConfigContext): Record<string, unknown>;
  /** `GET /gradio_api/info`: `{ named_endpoints, unnamed_endpoints }`. */
  apiInfo(options: { readonly allEndpoints: boolean; readonly queueEnabled: boolean }): Record<string, unknown>;
  /** The session is gone: forget its State values. */
  closeSession(sessionHash: string): void;
}

/** What an app is built with. */
export interface RuntimeEnv {
  readonly files: FileStore;
  /** Runs functions declared with `inWorker()`; without it, such a function fails when called. */
  readonly workers?: WorkerPool | undefined;
  /** Where State values live. Default: in this process. */
  readonly state?: SessionStateStore | undefined;
}

/** Anything that can be built into a {@link ServedApp} (Blocks, Interface). */
export interface Buildable {
  build(env: RuntimeEnv): ServedApp;
}
