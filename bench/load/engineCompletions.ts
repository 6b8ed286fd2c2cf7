/**
 * What the in-process engine benches (enginePerEvent, redisPerEvent) share: the identity function
 * and a wait for each event's completion.
 */
import type { EngineFunction, InvokeResult } from "../../src/queue/types.ts";

/** fn_index 0, answering its inputs in the call. */
export const IDENTITY_ENGINE_FN: EngineFunction = {
  id: 0,
  name: "/predict",
  batch: false,
  maxBatchSize: 4,
  invoke: (inputs): InvokeResult => ({ kind: "values", outputs: inputs }),
};

/** An engine's listener registration, whichever checkout's engine it is. */
interface Listens {
  on(listener: (e: { readonly type: string; readonly eventId: string }) => void): unknown;
}

/** Listens to `engine`; the function returned resolves when event `eventId` has completed (ask before it joins). */
export function completionWaiters(engine: Listens): (eventId: string) => Promise<void> {
  const waiters = new Map<string, () => void>();
  engine.on((e) => {
    if (e.type !== "completed") return;
    const done = waiters.get(e.eventId);
    waiters.delete(e.eventId);
    done?.();
  });
  return (eventId) => new Promise<void>((r) => waiters.set(eventId, r));
}
