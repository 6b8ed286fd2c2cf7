/**
 * Closed-loop load: a fixed set of users, each sending its next prediction as soon as the previous
 * one ends. The users live across rounds: a round runs them for a warm-up (results dropped) and a
 * measurement window, then lets each finish the prediction it is in and pauses them, so that
 * rounds on two servers can alternate quickly with each server's users, connections and sessions
 * already warm. On the first round the users are created, spread over the first half of its
 * warm-up: a thousand connects at once overflow a listen backlog (511 in Node), and the dropped
 * SYNs come back 1 s and 3 s later, inside the window.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { meterWindow, type CpuMeter, type CpuReading } from "./CpuMeter.ts";
import type { RequestRecord, Transport, VirtualUser } from "./Transport.ts";

/** Options of a {@link ClosedLoop}. */
export interface ClosedLoopOptions {
  readonly users: number;
  /** Per prediction. @default 30000 */
  readonly timeoutMs?: number;
  /** Input of a user's `seq`-th prediction. @default `u<user>-<seq>` */
  readonly input?: (user: number, seq: number) => string;
}

/** What a load run produced. */
export interface LoadRun {
  /** Predictions that ended inside the measurement window. */
  readonly records: RequestRecord[];
  /** Length of the measurement window, ms. */
  readonly windowMs: number;
  readonly cpu: CpuReading | null;
}

/**
 * Users run in rounds: {@link ClosedLoop} in this process, or `SplitLoop` over several generator
 * processes when one process cannot drive the servers.
 */
export interface LoadLoop {
  /**
   * Runs every user for `warmupMs` (dropped) then `durationMs` (measured; `meter` runs over it)
   * and returns what ended inside the window, once every user has finished its last prediction.
   */
  round(warmupMs: number, durationMs: number, meter?: CpuMeter): Promise<LoadRun>;
  /** Closes every user's connections. */
  close(): void;
}

/** Pause after a prediction that did not complete, so that a failing server is not hammered in a hot loop. */
const BACKOFF_MS = 10;
/**
 * How long after the window closes in-flight predictions may still finish (they are not counted
 * anyway); then the users still in one are dropped (the next round makes new ones), so a stuck
 * server cannot stall the run.
 */
const DRAIN_MS = 2000;

/** Closed-loop users against one transport, run in rounds. */
export class ClosedLoop implements LoadLoop {
  readonly #transport: Transport;
  readonly #users: (VirtualUser | undefined)[];
  readonly #seq: number[];
  readonly #timeoutMs: number;
  readonly #input: (user: number, seq: number) => string;
  #started = false;

  constructor(transport: Transport, options: ClosedLoopOptions) {
    this.#transport = transport;
    this.#users = new Array<VirtualUser | undefined>(options.users).fill(undefined);
    this.#seq = new Array<number>(options.users).fill(0);
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#input = options.input ?? ((user: number, seq: number) => `u${user}-${seq}`);
  }

  /**
   * Runs every user for `warmupMs` (dropped) then `durationMs` (measured; `meter` runs over it)
   * and returns what ended inside the window, once every user has finished its last prediction.
   */
  async round(warmupMs: number, durationMs: number, meter?: CpuMeter): Promise<LoadRun> {
    const records: RequestRecord[] = [];
    const startMs = performance.now();
    const windowStartMs = startMs + warmupMs;
    const windowEndMs = windowStartMs + durationMs;
    const metered = meterWindow(meter, warmupMs, durationMs);
    const count = this.#users.length;
    const rampMs = this.#started || count <= 1 ? 0 : warmupMs / 2;
    this.#started = true;
    const busy = new Set<number>();
    const loop = async (index: number): Promise<void> => {
      let user = this.#users[index];
      if (user === undefined) {
        if (rampMs > 0) await sleep((index * rampMs) / count);
        user = this.#transport.createUser(index);
        this.#users[index] = user;
      }
      busy.add(index);
      try {
        while (performance.now() < windowEndMs) {
          const seq = this.#seq[index] ?? 0;
          this.#seq[index] = seq + 1;
          const rec = await user.predict(this.#input(index, seq), this.#timeoutMs);
          const endMs = rec.endedMs ?? performance.now();
          if (endMs >= windowStartMs && endMs <= windowEndMs) records.push(rec);
          if (rec.outcome !== "completed") await sleep(BACKOFF_MS);
        }
      } finally {
        busy.delete(index);
      }
    };
    let drainTimer: NodeJS.Timeout | undefined;
    const drained = new Promise<void>((resolve) => {
      drainTimer = setTimeout(resolve, warmupMs + durationMs + DRAIN_MS);
    });
    await Promise.race([Promise.all(Array.from({ length: count }, (_, i) => loop(i))), drained]);
    clearTimeout(drainTimer);
    for (const index of busy) {
      this.#users[index]?.close();
      this.#users[index] = undefined;
    }
    return { records, windowMs: durationMs, cpu: metered.reading() };
  }

  /** Closes every user's connections. */
  close(): void {
    for (const user of this.#users) user?.close();
    this.#users.fill(undefined);
  }
}
