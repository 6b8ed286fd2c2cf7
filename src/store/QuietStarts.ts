/**
 * Starts a runner tells only when its origin cannot learn them from the result. A job this node
 * claims for another origin (the node that admitted it, which holds its user's stream) started;
 * the origin tells its user so, and drops its waiting record of it, when it hears. The claim used
 * to tell it (`S`, a `PUBLISH` in the claim's script) for every such job, and the result followed
 * a moment later: with the function as fast as the queue, two messages a crossing job where one
 * says both, and Redis's work per prediction grew with the share of jobs that cross fronts
 * ((N − 1) / N of them at N fronts with local workers; all of them with separate workers).
 *
 * A quiet claim sends no `S`. At the end of the claim's turn of the event loop (after every job it
 * started has run as far as it could without waiting), the jobs whose result is not out yet get
 * their `S` from here, one `PUBLISH` per origin; the others' result says that they started, since
 * a node that is quiet takes a final of an event it admitted, run elsewhere, as the event's start
 * too (see RedisSessionBus and ClusterLink). A long job's start leaves at the end of the turn that
 * read the claim: half a round trip and a turn later than from the claim's script.
 *
 * Quiet only while every live node is (the heartbeat counts them, `quiet` in Redis, as `tellers`
 * for solo sessions): a node of an earlier revision needs its `S`. A hello (`h`) without `q` stops
 * it at once, and so does a break of the connections (a hello may have been lost), until the next
 * count. A claim made quiet whose turn ends after the count fell sends `S` for all its jobs.
 */
import type { Clock } from "../clock.ts";

/** See the file comment. */
export class QuietStarts {
  readonly #clock: Clock;
  readonly #nodeId: string;
  readonly #send: (origin: string, eventIds: readonly string[]) => void;
  /** Every live node is quiet (the last count, and no hello without `q` nor a break since). */
  #all = false;
  /** Hellos without `q` heard so far. */
  #hellos = 0;
  /** Jobs claimed quietly this turn for other origins, by event id: their origin, and whether ended. */
  #turn = new Map<string, { readonly origin: string; ended: boolean }>();

  constructor(clock: Clock, nodeId: string, send: (origin: string, eventIds: readonly string[]) => void) {
    this.#clock = clock;
    this.#nodeId = nodeId;
    this.#send = send;
  }

  /** Whether this node's claims may be quiet now. */
  get on(): boolean {
    return this.#all;
  }

  /** Hellos without `q` heard so far: a count sent before one of them may have missed its node. */
  get hellos(): number {
    return this.#hellos;
  }

  /**
   * A heartbeat counted the live nodes that are quiet: all of them, or not. `hellosBefore`:
   * {@link hellos} when it was sent; a hello without `q` heard since keeps this node loud.
   */
  counted(all: boolean, hellosBefore: number): void {
    this.#all = all && hellosBefore === this.#hellos;
  }

  /** Another node said hello with these words: without `q` it needs every `S`. */
  heardHello(words: readonly string[]): void {
    if (words.includes("q")) return;
    this.#hellos++;
    this.#all = false;
  }

  /** The connections broke: a hello may have been lost. */
  broke(): void {
    this.#all = false;
  }

  /** A quiet claim took `eventIds`, admitted by `origins` ("" unknown, this node's own: nothing owed). */
  claimed(eventIds: readonly string[], origins: readonly string[]): void {
    const first = this.#turn.size === 0;
    eventIds.forEach((id, i) => {
      const origin = origins[i] ?? "";
      if (origin !== "" && origin !== this.#nodeId) this.#turn.set(id, { origin, ended: false });
    });
    if (first && this.#turn.size > 0) this.#clock.defer(this.#due);
  }

  /** The event's final is out (it carries the start to the origin). */
  ended(eventId: string): void {
    const owed = this.#turn.get(eventId);
    if (owed !== undefined) owed.ended = true;
  }

  readonly #due = (): void => {
    const turn = this.#turn;
    this.#turn = new Map();
    // A node that needs S may have come during the turn: then every quiet claim's jobs get it.
    const all = !this.#all;
    const byOrigin = new Map<string, string[]>();
    for (const [id, { origin, ended }] of turn) {
      if (ended && !all) continue;
      const ids = byOrigin.get(origin);
      if (ids === undefined) byOrigin.set(origin, [id]);
      else ids.push(id);
    }
    for (const [origin, ids] of byOrigin) this.#send(origin, ids);
  };
}
