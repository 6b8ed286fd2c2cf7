import { systemClock, type Clock } from "../../clock.ts";
import type { LegacyAverages } from "../../protocol/index.ts";
import type { EngineEvent, EngineFunction } from "../../queue/index.ts";
import { withLegacyInputs, type LegacyInputSource } from "./legacyInputs.ts";

/** What the router needs to know about a 3.x event's socket. */
export interface LegacyEventSocket {
  /** An engine event of its event. */
  deliver(event: EngineEvent): void;
  /** Its inputs once received, or null when they will never come (see {@link LegacyInputSource}). */
  inputs(): Promise<unknown[] | null>;
}

/** Options of {@link LegacyRouter}. */
export interface LegacyRouterOptions {
  /**
   * The slots of the pool a function runs in, or null (the engine's, which owns the pool rules;
   * called after it exists), so that 3.x's "average / workers" uses the real worker count.
   */
  readonly slotsOf: (fnId: number) => number | null;
  /** The moving average of a function's call, ms, or null (the engine's; called after it exists). */
  readonly averageMs: (fnId: number) => number | null;
  /**
   * Ask for the inputs right after the hash, and join the queue with them, instead of when the job
   * starts (3.x's timing). Default false. See `launch({ legacyInputsAt })`.
   */
  readonly eagerInputs?: boolean;
  /**
   * The queue is shared by several processes: a job may run where the socket is not, so its
   * messages come back through the session hub (each event in a session of its own), and the
   * inputs always come first. Default false.
   */
  readonly shared?: boolean;
  /** How long a socket may stay silent after `send_data` (`launch({ legacyDataTimeoutMs })`), ms. */
  readonly dataTimeoutMs: number;
  /** The sockets' timers. Default: {@link systemClock}. */
  readonly clock?: Clock;
}

/**
 * Routes engine events to Gradio 3.x sockets (one socket per event, so keyed by event id, unlike
 * the session hub), and hands the engine a 3.x event's inputs when its job starts (see
 * legacyInputs.ts). The socket's session hash stays the event's session (State works as in 3.x),
 * so these events cannot go through the hub, whose sessions have one stream each.
 */
export class LegacyRouter implements LegacyInputSource {
  readonly #sockets = new Map<string, LegacyEventSocket>();
  readonly #averageMs: (fnId: number) => number | null;
  /** See {@link LegacyRouterOptions.eagerInputs} (always true when {@link shared}). */
  readonly eagerInputs: boolean;
  /** See {@link LegacyRouterOptions.shared}. */
  readonly shared: boolean;
  /** See {@link LegacyRouterOptions.dataTimeoutMs}. */
  readonly dataTimeoutMs: number;
  /** The sockets' timers. */
  readonly clock: Clock;
  readonly #slotsOf: (fnId: number) => number | null;

  constructor(options: LegacyRouterOptions) {
    this.#averageMs = options.averageMs;
    this.shared = options.shared ?? false;
    this.eagerInputs = this.shared || (options.eagerInputs ?? false);
    this.dataTimeoutMs = options.dataTimeoutMs;
    this.clock = options.clock ?? systemClock;
    this.#slotsOf = options.slotsOf;
  }

  /** Engine listener. */
  readonly deliver = (event: EngineEvent): void => {
    this.#sockets.get(event.eventId)?.deliver(event);
  };

  /** Routes `eventId` to `socket` (before it joins, so that nothing is missed). */
  register(eventId: string, socket: LegacyEventSocket): void {
    this.#sockets.set(eventId, socket);
  }

  /** Stops routing `eventId` (it ended, or its join was refused). */
  unregister(eventId: string): void {
    this.#sockets.delete(eventId);
  }

  inputsOf(eventId: string): Promise<unknown[] | null> | undefined {
    return this.#sockets.get(eventId)?.inputs();
  }

  /** A function's averages for 3.x estimations. */
  averages(fnId: number): LegacyAverages {
    return { averageMs: this.#averageMs(fnId), slots: this.#slotsOf(fnId) ?? 1 };
  }

  /** `fn`, able to run 3.x events (their inputs come at start). */
  wrap(fn: EngineFunction): EngineFunction {
    return withLegacyInputs(fn, this);
  }

  /** Open 3.x events (for tests and metrics). */
  get size(): number {
    return this.#sockets.size;
  }
}
