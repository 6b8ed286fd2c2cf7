import type { EventInfo, InvokeContext, LogOptions, ProgressUnit } from "../queue/index.ts";
import { UsherError } from "../errors.ts";

/**
 * The last argument of every event function: what Gradio passes through `gr.Progress()`,
 * `gr.Info()`, `gr.Request` and friends, in one object.
 *
 * ```ts
 * btn.click({ fn: async (prompt: string, ctx: EventContext) => { ctx.progress(0.5, "halfway"); ... } });
 * ```
 */
export interface EventContext {
  /** Aborted when the user cancels or leaves, the call times out, or the server shuts down. */
  readonly signal: AbortSignal;
  /** Session of the user (of the first event, in a batch). */
  readonly sessionHash: string;
  /** Id of the event (of the first event, in a batch). */
  readonly eventId: string;
  /** Every event of this call: one, or several in a batch (same order as the batch lists). */
  readonly events: readonly EventInfo[];
  /** Per-request data from the server (username, headers, ...), of the first event. */
  readonly meta: Readonly<Record<string, unknown>>;
  /**
   * Shows a progress bar: a fraction 0..1, or `[step, total]`. Only the latest call is sent
   * (progress is coalesced), so calling it in a tight loop is cheap.
   */
  progress(value: number | readonly [step: number, total: number], desc?: string, unit?: string): void;
  /** Shows an info toast to the user (gr.Info). */
  info(message: string, options?: LogOptions): void;
  /** Shows a warning toast to the user (gr.Warning). */
  warning(message: string, options?: LogOptions): void;
  /** Shows a success toast to the user (gr.Success). */
  success(message: string, options?: LogOptions): void;
}

/** Builds the {@link EventContext} of one call from the engine's {@link InvokeContext}. */
export function createEventContext(ctx: InvokeContext): EventContext {
  return new CallContext(ctx);
}

type ProgressFn = EventContext["progress"];
type LogFn = EventContext["info"];

/**
 * The context as a class whose functions are made on first read: most functions never touch
 * them, and five closures per call were about 4% of the CPU of an identity prediction. They are
 * still plain closures once read, so callers may destructure them (`(x, { progress }) => …`).
 */
class CallContext implements EventContext {
  readonly sessionHash: string;
  readonly eventId: string;
  readonly events: readonly EventInfo[];
  readonly meta: Readonly<Record<string, unknown>>;
  readonly #ctx: InvokeContext;
  #progress: ProgressFn | null = null;
  #info: LogFn | null = null;
  #warning: LogFn | null = null;
  #success: LogFn | null = null;

  constructor(ctx: InvokeContext) {
    const first = ctx.events[0];
    if (first === undefined) throw new UsherError("INTERNAL", "A call with no events.");
    this.#ctx = ctx;
    this.sessionHash = first.sessionHash;
    this.eventId = first.eventId;
    this.events = ctx.events;
    this.meta = first.meta;
  }

  // The engine makes the AbortController on first read (RunningJob), and most functions never read it.
  get signal(): AbortSignal {
    return this.#ctx.signal;
  }

  get progress(): ProgressFn {
    const ctx = this.#ctx;
    return (this.#progress ??= (value, desc, unit = "steps") => {
      const unitOf = (v: typeof value): ProgressUnit =>
        typeof v === "number"
          ? { index: null, length: null, unit, progress: v, desc: desc ?? null }
          : { index: v[0], length: v[1], unit, progress: null, desc: desc ?? null };
      ctx.progress([unitOf(value)]);
    });
  }

  get info(): LogFn {
    const ctx = this.#ctx;
    return (this.#info ??= (message, options) => ctx.log("info", message, options));
  }

  get warning(): LogFn {
    const ctx = this.#ctx;
    return (this.#warning ??= (message, options) => ctx.log("warning", message, options));
  }

  get success(): LogFn {
    const ctx = this.#ctx;
    return (this.#success ??= (message, options) => ctx.log("success", message, options));
  }
}
