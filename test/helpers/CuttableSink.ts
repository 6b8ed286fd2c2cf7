/** A sink the tests cut off as the reader budget would, for the hubs' kept-results tests. */
import type { EngineEvent } from "../../src/queue/types.ts";
import type { CutHandler, Sink, UnreadFinal } from "../../src/server/Sink.ts";

/** Records what it is given; {@link cutOff} does what a stream does when the budget cuts it off. */
export class CuttableSink implements Sink {
  written: EngineEvent[] = [];
  finished = false;
  #cut: { handler: CutHandler; hash: string } | null = null;
  write(e: EngineEvent): boolean {
    this.written.push(e);
    return true;
  }
  finish(): void {
    this.finished = true;
  }
  heartbeat(): void {}
  onDrain(): void {}
  onClose(): void {}
  onCut(handler: CutHandler, sessionHash: string): void {
    this.#cut = { handler, hash: sessionHash };
  }
  /** What a sink does when the budget cuts it off: it reports itself, with its unread finals. */
  cutOff(finals: UnreadFinal[]): void {
    const c = this.#cut;
    this.#cut = null;
    c?.handler(c.hash, this, finals);
  }
}
