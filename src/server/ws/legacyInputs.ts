/**
 * Gradio 3.x asks for an event's inputs only when the event reaches a worker (`send_data`, doc
 * §10.3). With `launch({ legacyInputsAt: "start" })` Usher does the same, honestly, on top of the
 * unchanged engine (by default it asks before the event joins, and none of this applies):
 *
 * 1. the 3.x socket joins the queue with a placeholder instead of the inputs
 *    ({@link legacyPlaceholder}); admission, `maxSize`, ranks and ETAs are those of any event;
 * 2. when the engine starts the job, the event's `started` reaches the socket, which sends
 *    `send_data`; the job holds its slot and thread meanwhile, exactly as 3.x's worker did while
 *    gathering data, so the pool is never overcommitted (but, unlike 3.x's 60 s, a silent client
 *    loses its turn after `launch({ legacyDataTimeoutMs })`, default 5 s);
 * 3. every engine function is wrapped ({@link withLegacyInputs}): before calling the real
 *    function it swaps each placeholder for the inputs the socket received (validated there).
 *
 * Nothing is lost: an event whose inputs never come (`legacyDataTimeoutMs` of silence, invalid
 * data, disconnect) is ended by its socket (an error, or a cancel) before its placeholder resolves
 * to null, so a silent client holds the slot for that long at most; in a batch it then borrows a sibling's inputs so that the call keeps its shape, and its output is dropped
 * by the engine since the event already ended (3.x dropped such events from the batch instead).
 *
 * This needs the job to run in the process that holds the socket: a queue shared by several
 * processes always asks for the inputs before the event joins (LegacyRouter's `eagerInputs`).
 */
import { UsherError, isUsherError } from "../../errors.ts";
import type { EngineFunction, InvokeContext, InvokeResult } from "../../queue/index.ts";

/** Key of the placeholder object; never a list, so no other door's `data` can look like it. */
const KEY = "usherLegacyInputsOf";

/** What a 3.x event is queued with until its inputs arrive. JSON-serialisable (stores copy it). */
export interface LegacyPlaceholder {
  readonly [KEY]: string;
}

/** The placeholder for `eventId`. */
export function legacyPlaceholder(eventId: string): LegacyPlaceholder {
  return { [KEY]: eventId };
}

function placeholderEventId(v: unknown): string | undefined {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return undefined;
  const id = (v as Record<string, unknown>)[KEY];
  return typeof id === "string" ? id : undefined;
}

/** Where the wrapper gets a 3.x event's inputs. */
export interface LegacyInputSource {
  /**
   * The inputs of `eventId` once its socket has them, or null when they will never come (the
   * event has already ended). Undefined when this process holds no 3.x socket for the event.
   */
  inputsOf(eventId: string): Promise<unknown[] | null> | undefined;
}

/**
 * `fn`, but placeholders in its inputs are replaced by the 3.x inputs before the call. Inputs
 * without placeholders (every other door) go straight through, with no extra tick.
 */
export function withLegacyInputs(fn: EngineFunction, source: LegacyInputSource): EngineFunction {
  // Every field of EngineFunction, spelled out: a new one is a compile error here, not a silent drop.
  const wrapped: { [K in keyof Required<EngineFunction>]: EngineFunction[K] } = {
    id: fn.id,
    name: fn.name,
    concurrencyId: fn.concurrencyId,
    concurrencyLimit: fn.concurrencyLimit,
    batch: fn.batch,
    maxBatchSize: fn.maxBatchSize,
    expectedDurationMs: fn.expectedDurationMs,
    timeoutMs: fn.timeoutMs,
    invoke(inputs: readonly unknown[], ctx: InvokeContext): InvokeResult | Promise<InvokeResult> {
      if (!inputs.some((v) => placeholderEventId(v) !== undefined)) return fn.invoke(inputs, ctx);
      return fetchInputs(inputs, ctx, source).then((real) => fn.invoke(real, ctx));
    },
  };
  return wrapped;
}

async function fetchInputs(
  inputs: readonly unknown[],
  ctx: InvokeContext,
  source: LegacyInputSource,
): Promise<unknown[]> {
  const out = inputs.slice();
  const gone: number[] = [];
  const waits: Promise<void>[] = [];
  for (let i = 0; i < inputs.length; i++) {
    const eventId = placeholderEventId(inputs[i]);
    if (eventId === undefined) continue;
    const pending = ctx.events[i]?.eventId === eventId ? source.inputsOf(eventId) : undefined;
    if (pending === undefined) {
      // E.g. a shared store let another process claim it: its socket is not here.
      throw new UsherError(
        "INTERNAL",
        "The inputs of this Gradio 3.x event are held by a connection this process does not have.",
      );
    }
    waits.push(
      pending.then((data) => {
        if (data === null) gone.push(i);
        else out[i] = data;
      }),
    );
  }
  await Promise.all(waits);
  if (gone.length === 0) return out;
  const donor = out.findIndex((_, i) => !gone.includes(i));
  // Every event ended before its inputs came: the engine has aborted the job and drops this.
  if (donor < 0) throw new UsherError("CANCELLED");
  for (const i of gone) out[i] = out[donor];
  return out;
}

/** The text of a validation error for 3.x's `{ error: string }`. */
export function validationMessage(err: unknown): string {
  if (!isUsherError(err)) return "Invalid inputs.";
  const detail = err.detail;
  if (Array.isArray(detail)) {
    const parts = detail.map((d) =>
      typeof d === "object" && d !== null && typeof (d as Record<string, unknown>)["message"] === "string"
        ? String((d as Record<string, unknown>)["message"])
        : String(d),
    );
    return parts.join(" ");
  }
  return typeof detail === "string" ? detail : err.message;
}
