import type { EngineEvent } from "../queue/index.ts";
import type { CutHandler, FinishReason, Sink } from "./Sink.ts";

/** What a tracked stream asks of its hub: one object per hub, not closures per stream. */
export interface TrackHost {
  /** `stream` wrote `event` (the session's cursor, its read finals, the hub's pending events). */
  wrote(stream: TrackedSink, event: EngineEvent): void;
}

/**
 * A stream as the cluster hub attaches it: what it writes moves the session's cursor, and it ends
 * for being idle only when the store says the session has nothing pending (an event joined
 * through another front may not have sent its first message here yet). The hub sees it as
 * persistent, so never ends it on its own; the host decides. One object per stream: a front makes
 * one per prediction, and the proxy and closures it replaces were a quarter of what survived the
 * young generation's collections there.
 */
export class TrackedSink implements Sink {
  readonly persistent = true;
  /** The stream ends when its session is idle (a multiplexed socket does not). */
  readonly endsWhenIdle: boolean;
  /** Finished, here or by the hub. */
  ended = false;
  /** An idle check is asking the store. */
  checking = false;
  #hubOnClose: (() => void) | null = null;

  constructor(
    readonly inner: Sink,
    readonly sessionHash: string,
    private readonly host: TrackHost,
  ) {
    this.endsWhenIdle = inner.persistent !== true;
  }

  write(event: EngineEvent): boolean {
    const ok = this.inner.write(event);
    this.host.wrote(this, event);
    return ok;
  }

  finish(reason: FinishReason): void {
    this.ended = true;
    this.inner.finish(reason);
  }

  heartbeat(): void {
    this.inner.heartbeat();
  }

  onDrain(fn: () => void): void {
    this.inner.onDrain(fn);
  }

  onClose(fn: () => void): void {
    this.#hubOnClose = fn;
    this.inner.onClose(fn);
  }

  /**
   * The stream reports a cut with itself; the hub knows it as this wrapper (else the cut went
   * unheard, and what the reader had not read was written to the dead stream).
   */
  onCut(handler: CutHandler, sessionHash: string): void {
    this.inner.onCut?.((hash, _cut, finals) => handler(hash, this, finals), sessionHash);
  }

  holdForEnd(): void {
    this.inner.holdForEnd?.();
  }

  releaseHeld(): void {
    this.inner.releaseHeld?.();
  }

  /** Ends the stream for being idle, and tells the hub it is gone (as a closed connection would). */
  endIdle(): void {
    if (this.ended) return;
    this.ended = true;
    this.inner.finish("idle");
    this.#hubOnClose?.();
  }
}
