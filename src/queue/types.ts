/**
 * The queue engine's contract with the layers around it.
 *
 * Above: the app model hands the engine {@link EngineFunction}s (one per event listener/dependency)
 * and never shows it a component. Beside: the server listens to {@link EngineEvent}s and turns them
 * into wire messages. Below: the {@link QueueStore} (src/store/) holds what waits.
 */
import type { ErrorCode } from "../errors.ts";

/** One unit of a progress bar (Gradio's ProgressUnit). */
export interface ProgressUnit {
  /** Step reached, for `(i, n)` style progress; null for a fraction. */
  index: number | null;
  /** Total steps, for `(i, n)` style progress. */
  length: number | null;
  /** Unit label, e.g. "steps". */
  unit: string | null;
  /** Fraction 0..1, for float style progress; null for `(i, n)`. */
  progress: number | null;
  /** Description shown beside the bar. */
  desc: string | null;
}

/** Level of a log message sent to the user (gr.Info / gr.Warning / gr.Success). */
export type LogLevel = "info" | "warning" | "success";

/** Options of a log message. */
export interface LogOptions {
  title?: string;
  /** How long the toast stays, ms; null keeps it until dismissed. Default 10 000. */
  durationMs?: number | null;
  visible?: boolean;
}

/** What one event of a running job knows about itself. */
export interface EventInfo {
  readonly eventId: string;
  readonly sessionHash: string;
  /** Public base URL the user joined through (for file URLs in outputs), e.g. "http://127.0.0.1:7860". */
  readonly rootUrl: string;
  /** Optional per-request data from the door (username, headers...). */
  readonly meta: Readonly<Record<string, unknown>>;
}

/** Given to {@link EngineFunction.invoke}. */
export interface InvokeContext {
  /** The events in this job: one, or several for a batch (same order as `inputs`). */
  readonly events: readonly EventInfo[];
  /** Aborted when every event of the job is cancelled, disconnected or timed out, or on shutdown. */
  readonly signal: AbortSignal;
  /** Reports progress to the job's users (coalesced: only the latest value is sent). */
  progress(units: readonly ProgressUnit[]): void;
  /** Sends a log message (toast) to the job's users. */
  log(level: LogLevel, message: string, options?: LogOptions): void;
  /**
   * The call waits for its worker thread to load the function's module (its first call there:
   * import and `setup()`, e.g. a model), expected to take `expectedMs` (null: unknown). The engine
   * reports the job as loading and counts the rest of the load in the ETAs behind it. Optional:
   * only worker calls report loads; each is followed by {@link InvokeContext.loaded}.
   */
  loading?(expectedMs: number | null): void;
  /** The load told by {@link InvokeContext.loading} is over (done or failed). */
  loaded?(): void;
}

/** Result of one invocation. */
export type InvokeResult =
  /** One output per event of the job (length must equal the number of events). */
  | { readonly kind: "values"; readonly outputs: readonly unknown[] }
  /** A stream of full output values for a single (non-batched) event; the last one is final. */
  | { readonly kind: "stream"; readonly chunks: AsyncIterable<unknown> };

/**
 * A function the engine can run: what the app model makes of one event listener.
 * Outputs are already in wire form (postprocessed); the engine passes them through untouched.
 */
export interface EngineFunction {
  /** fn_index: the dependency's index in the config. */
  readonly id: number;
  /** For logs and errors, e.g. "/predict". */
  readonly name: string;
  /** Share a pool with every function of the same id (Gradio's concurrency_id). */
  readonly concurrencyId?: string | undefined;
  /**
   * Own pool of this many slots (null: no per-pool limit, only maxThreads). Undefined with no
   * `concurrencyId`: the function runs in the shared default pool of `concurrencyCount` slots.
   */
  readonly concurrencyLimit?: number | null | undefined;
  /** Group waiting events of this function into one call. */
  readonly batch: boolean;
  /** Most events in one batch (default 4). */
  readonly maxBatchSize: number;
  /** Seed for ETAs before the first run completes, ms per call (per batch when batched). */
  readonly expectedDurationMs?: number | undefined;
  /** End a call that runs longer than this with a TIMEOUT error. */
  readonly timeoutMs?: number | undefined;
  /**
   * Runs the function for `inputs` (one entry per event: the raw `data` array the user sent).
   * Preprocessing, calling the user's code and postprocessing all happen inside. May answer (or
   * throw) in the call when nothing inside waits; the engine then spends no microtask on it.
   */
  invoke(inputs: readonly unknown[], ctx: InvokeContext): InvokeResult | Promise<InvokeResult>;
}

/** A request to join the queue, after the door has validated it. */
export interface JoinRequest {
  readonly fnId: number;
  readonly sessionHash: string;
  /** The inputs, as sent on the wire (`data`). Must be JSON-serialisable (stores may copy it). */
  readonly data: unknown;
  /** Use this id instead of a fresh one (e.g. the Gradio 3.x websocket's own ids). */
  readonly eventId?: string | undefined;
  readonly rootUrl: string;
  readonly meta?: Readonly<Record<string, unknown>> | undefined;
  /** Whom fair share and `maxPerClient` count it for (the door's `clientKey`). Absent: the session hash. */
  readonly clientKey?: string | undefined;
  /** Its priority level, higher first (the app's `priority`). Absent: 0. */
  readonly priority?: number | undefined;
}

/**
 * What an app's `queue({ clientKey, priority })` callbacks see of a request to join the queue,
 * through whichever door it came.
 */
export interface QueueRequest {
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** The client's address (behind a trusted proxy, `launch({ trustProxy })`, the forwarded one). */
  readonly address: string;
  /** The signed-in user when `auth` is on, else null. */
  readonly user: string | null;
  readonly sessionHash: string;
  readonly fnIndex: number;
  /** "join" (SSE), "ws" (multiplexed socket), "legacy" (Gradio 3.x socket), "call", "run". */
  readonly door: "join" | "ws" | "legacy" | "call" | "run";
}

/** How an error is shown to the user (the wire's `output.error` and friends). */
export interface ErrorPayload {
  /** Message to show, or null for the client's generic "An error occurred". */
  readonly message: string | null;
  readonly title: string;
  readonly durationMs: number | null;
  readonly visible: boolean;
  /** The UsherError code behind it (TIMEOUT, BATCH_SHAPE, APP_ERROR, FUNCTION_ERROR, ...). */
  readonly code: ErrorCode;
  /**
   * What the function threw, for the server's log only. Never sent to users: it is set as a
   * non-enumerable property, so spreading or serializing the payload leaves it out.
   */
  readonly cause?: unknown;
}

/** Why an event was cancelled. */
export type CancelReason = "user" | "disconnect" | "shutdown";

interface EventBase {
  readonly eventId: string;
  readonly sessionHash: string;
}

/**
 * Everything the engine tells the outside world. Per event, exactly one terminal event
 * (`completed`, `failed` or `cancelled`) ends its life; nothing follows it.
 */
export type EngineEvent =
  | (EventBase & {
      readonly type: "estimation";
      /** Waiting events ahead of this one in its pool (0 = next). */
      readonly rank: number;
      /** Waiting events in this pool. */
      readonly queueSize: number;
      /** Estimated ms until this event's result, or null when nothing is known yet. */
      readonly rankEtaMs: number | null;
    })
  | (EventBase & {
      readonly type: "started";
      /** Expected run time of this call in ms (the moving average), or null. */
      readonly etaMs: number | null;
      /** How long it waited since this process admitted it, ms; absent when another process did. */
      readonly waitedMs?: number | undefined;
    })
  | (EventBase & { readonly type: "progress"; readonly progress: readonly ProgressUnit[] })
  | (EventBase & {
      readonly type: "log";
      readonly level: LogLevel;
      readonly message: string;
      readonly title: string;
      readonly durationMs: number | null;
      readonly visible: boolean;
    })
  | (EventBase & {
      readonly type: "generating";
      /** Full output values of this chunk (diffing is the transport's business). */
      readonly output: unknown;
      readonly durationMs: number;
      readonly averageDurationMs: number | null;
    })
  | (EventBase & {
      readonly type: "completed";
      /** Full final output values. */
      readonly output: unknown;
      readonly durationMs: number;
      readonly averageDurationMs: number | null;
    })
  | (EventBase & {
      readonly type: "failed";
      readonly error: ErrorPayload;
      /** How long it ran here before it failed, ms; absent when it had not started here. */
      readonly ranMs?: number | undefined;
    })
  | (EventBase & {
      readonly type: "cancelled";
      readonly reason: CancelReason;
      /** How long it ran here before it was cancelled, ms; absent when it had not started here. */
      readonly ranMs?: number | undefined;
    });

/** The `type`s of {@link EngineEvent}s that end an event's life. */
export const TERMINAL_TYPES: ReadonlySet<EngineEvent["type"]> = new Set(["completed", "failed", "cancelled"]);

/** Receives engine events. Must not throw; it runs synchronously on the engine's path. */
export type EngineListener = (event: EngineEvent) => void;
