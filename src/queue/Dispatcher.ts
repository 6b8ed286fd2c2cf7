/**
 * The engine's dispatch loop and the release of what a job held. Dispatch is work-conserving
 * without polling: a join, a freed slot or thread, a cancel or a store wake-up runs a pass at once;
 * one pass claims while threads and slots allow; a pass in progress is never doubled (a flag makes
 * it loop again instead). With a store that answers in the call (in-memory) a pass runs in the
 * call, without a promise per claim.
 */
import type { Claim } from "./QueueStore.ts";
import type { EngineCore } from "./EngineCore.ts";
import type { Estimator } from "./Estimator.ts";
import { JobRunner } from "./JobRunner.ts";

/** Claims queued work and hands each claim to its {@link JobRunner}. See the file comment. */
export class Dispatcher {
  readonly #core: EngineCore;
  /** Owned here: each claim goes straight to it, and it releases through this dispatcher. */
  readonly #runner: JobRunner;
  #dispatching = false;
  #dispatchAgain = false;
  /** A dispatch is queued as a microtask (see {@link dispatchSoon}). */
  #dispatchQueued = false;

  constructor(core: EngineCore, estimator: Estimator) {
    this.#core = core;
    this.#runner = new JobRunner(core, estimator, this);
  }

  /** Runs a dispatch pass now, or makes the one in progress loop once more. */
  dispatch(): void {
    if (this.#core.closed || !this.#core.runJobs) return;
    if (this.#dispatching) {
      this.#dispatchAgain = true;
      return;
    }
    this.#dispatching = true;
    void this.#dispatchLoop();
  }

  /**
   * A join's dispatch, in a microtask rather than in the call: the join's answer is written first
   * (the client sends its next request while the function runs), and the joins of one tick share
   * one dispatch pass. Events still start in admission order: the store's order decides.
   */
  dispatchSoon(): void {
    if (this.#dispatchQueued) return;
    this.#dispatchQueued = true;
    queueMicrotask(() => {
      this.#dispatchQueued = false;
      this.dispatch();
    });
  }

  /** Claims and starts jobs while threads and work last; runs in the call with an immediate store. */
  async #dispatchLoop(): Promise<void> {
    const core = this.#core;
    const immediate = core.immediate;
    try {
      do {
        this.#dispatchAgain = false;
        // Take the thread before the await so that a runDirect cannot take it meanwhile.
        while (!core.closed && core.threads.tryTake()) {
          let claim: Claim | null;
          try {
            claim =
              immediate !== null ? immediate.claimNow(core.claimRequest) : await core.store.claim(core.claimRequest);
          } catch {
            // Store unreachable: give up this pass; the next trigger tries again.
            core.threads.give();
            this.#dispatchAgain = false;
            break;
          }
          if (claim === null) {
            core.threads.give();
            break;
          }
          this.#runner.start(claim);
        }
      } while (this.#dispatchAgain && !core.closed);
    } finally {
      this.#dispatching = false;
    }
  }

  /** Frees a slot in the store, then the thread; undefined when done in the call (immediate store). */
  releaseSlot(poolId: string, claim?: Claim): Promise<void> | undefined {
    const immediate = this.#core.immediate;
    if (immediate !== null) {
      immediate.releaseNow(poolId, claim);
      this.releaseThread();
      return undefined;
    }
    return this.#releaseSlotAsync(poolId, claim);
  }

  /**
   * A shared store frees the slot and, in the same round trip, may claim the next job for the
   * thread, which then goes straight to it (unless a direct call waits for the thread).
   */
  async #releaseSlotAsync(poolId: string, claim?: Claim): Promise<void> {
    const core = this.#core;
    const next = core.runJobs && !core.closed && !core.threads.waiting ? core.claimRequest : undefined;
    let claimed: Claim | null | void = null;
    try {
      claimed = await core.store.release(poolId, claim, next);
    } catch {
      // Store unreachable: its own recovery (e.g. slot leases) must free the slot.
    }
    if (claimed) this.#runner.start(claimed);
    else this.releaseThread();
  }

  /** Runs a claim the store made for a thread the caller took (see Admission). */
  startClaimed(claim: Claim): void {
    this.#runner.start(claim);
  }

  /** A job or direct call ended: its thread goes to a waiting direct call, else to the queue. */
  releaseThread(): void {
    if (!this.#core.threads.give()) this.dispatch();
  }
}
