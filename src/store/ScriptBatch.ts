import { ReplyError } from "ioredis";
import { callFunction, callLua, callScript, loadLibrary, sha1 } from "./callScript.ts";
import { BATCH_FUNCTION, BATCH_LIBRARY, BATCH_LUA, BATCHED, packBatch } from "./redisBatch.ts";
import { systemClock, type Clock, type TimerHandle } from "../clock.ts";
import type { RedisClient } from "./redisConnect.ts";
import type { ScriptName } from "./redisScripts.ts";

const BATCH_SHA = sha1(BATCH_LUA);

/**
 * How long a call made with {@link ScriptBatch.runSoon} may wait for others, ms. A message of an
 * event run away from its stream is a `publish` call and a round trip; a streamed output through a
 * worker is one per chunk, and the chunks of a crowd's events seldom meet in one turn of the event
 * loop. Waiting this long, they leave together: one call of the batch, and one write of Redis's
 * replies and of its pub/sub messages to each front.
 */
export const SOON_WINDOW_MS = 2;

/** A call waiting for its turn's batch. */
interface Queued {
  readonly name: ScriptName;
  readonly args: readonly (string | number)[];
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: unknown) => void;
}

/**
 * The hot-path script calls ({@link BATCHED}) a node makes in one turn of its event loop, sent as
 * one call of the batch script (`redisBatch.ts`) when the turn ends: Redis pays a script call's
 * fixed part once for all of them. A turn with one call sends that call as it is.
 *
 * The caller keeps the order of everything it sends: it flushes the batch before any other
 * command (see `RedisLink`), so commands reach Redis in the order they were made, as before.
 *
 * Once {@link useFunction} found Redis 7's functions, every hot-path call goes as the batch
 * function (`FCALL`), a lone one as a batch of one: the helpers are not made again at each call.
 */
export class ScriptBatch {
  readonly #client: RedisClient;
  readonly #key: string;
  /** ARGV[1] and ARGV[2] of every script: the key prefix and the node's id. */
  readonly #head: readonly string[];
  #queued: Queued[] = [];
  /** Calls of {@link runSoon} waiting for the window to close, in order. */
  #soon: Queued[] = [];
  #soonTimer: TimerHandle | null = null;
  readonly #clock: Clock;
  /** Hot-path calls go as the batch function (see {@link useFunction}), not as scripts. */
  #function = false;

  constructor(client: RedisClient, key: string, prefix: string, nodeId: string, clock: Clock = systemClock) {
    this.#client = client;
    this.#clock = clock;
    this.#key = key;
    this.#head = [prefix, nodeId];
  }

  /**
   * Runs script `name` with `args` (those after P and node): in this turn's batch when it is one
   * of {@link BATCHED} and the turn's commands leave together (`gathered`), else at once, after
   * what the batch holds (so that calls reach Redis in the order they were made).
   */
  run(name: ScriptName, args: readonly (string | number)[], gathered: boolean): Promise<unknown> {
    this.#takeSoon();
    // A call not gathered leaves now, with what waits (in one batch when it can be in one).
    if (BATCHED.has(name) && (gathered || this.#function || this.#queued.length > 0)) {
      const call = this.add(name, args);
      if (!gathered) this.flush();
      return call;
    }
    this.flush();
    return this.#alone(name, args);
  }

  /**
   * Sends the hot-path calls as the batch function from now on when Redis can load it (7.0 or
   * later, one server: on a Redis Cluster each primary would need the library, and the scripts
   * serve as they are). Resolves whether it does.
   */
  async useFunction(): Promise<boolean> {
    if (this.#client.isCluster) return false;
    this.#function = await loadLibrary(this.#client, BATCH_LIBRARY);
    return this.#function;
  }

  /** One call as its own script. */
  #alone(name: ScriptName, args: readonly (string | number)[]): Promise<unknown> {
    return callScript(this.#client, name, this.#key, [...this.#head, ...args]);
  }

  /** Queues a call of `name` with `args` (those after P and node) for the turn's batch. */
  add(name: ScriptName, args: readonly (string | number)[]): Promise<unknown> {
    this.#takeSoon();
    return new Promise((resolve, reject) => this.#queued.push({ name, args, resolve, reject }));
  }

  /**
   * Runs `name` (one of {@link BATCHED}) with `args` in a batch at most {@link SOON_WINDOW_MS}
   * from now, with the calls made meanwhile. Any other call or command made before then takes it
   * along first: nothing made after it reaches Redis before it.
   */
  runSoon(name: ScriptName, args: readonly (string | number)[]): Promise<unknown> {
    if (!BATCHED.has(name)) throw new Error(`${name} cannot wait for a batch`);
    return new Promise((resolve, reject) => {
      this.#soon.push({ name, args, resolve, reject });
      this.#soonTimer ??= this.#clock.setTimeout(this.#soonDue, SOON_WINDOW_MS);
    });
  }

  readonly #soonDue = (): void => {
    this.#soonTimer = null;
    this.flush();
  };

  /** The calls waiting in the window join the batch, ahead of anything made after them. */
  #takeSoon(): void {
    if (this.#soon.length === 0) return;
    if (this.#soonTimer !== null) this.#clock.clearTimeout(this.#soonTimer);
    this.#soonTimer = null;
    for (const c of this.#soon) this.#queued.push(c);
    this.#soon = [];
  }

  /** Sends what is queued: one call as it is, several as one batch. */
  flush(): void {
    this.#takeSoon();
    const calls = this.#queued;
    if (calls.length === 0) return;
    this.#queued = [];
    if (calls.length === 1 && !this.#function) {
      const only = calls[0] as Queued;
      this.#alone(only.name, only.args).then(only.resolve, only.reject);
      return;
    }
    this.#send(packBatch(this.#head, calls)).then(
      (reply) => {
        // Each call's result, or the error reply of a call that failed (the parser's ReplyError).
        const results = reply as readonly unknown[];
        calls.forEach((c, i) => {
          const r = results[i];
          if (r instanceof Error) c.reject(r);
          else if (i >= results.length) c.reject(new ReplyError("no result from the batch script"));
          else c.resolve(r ?? null);
        });
      },
      (err: unknown) => {
        for (const c of calls) c.reject(err);
      },
    );
  }

  /** One batch: as the function, or as the script (also when Redis no longer knows functions). */
  async #send(args: readonly (string | number)[]): Promise<unknown> {
    if (!this.#function) return callLua(this.#client, BATCH_LUA, BATCH_SHA, this.#key, args);
    try {
      return await callFunction(this.#client, BATCH_FUNCTION, BATCH_LIBRARY, this.#key, args);
    } catch (err) {
      if (!(err instanceof Error)) throw err;
      // Redis refused the call before running it. Failed over to a Redis before 7.0, or a user
      // who may load functions but not call them: the script does the same, from now on. Out of
      // memory: Redis refuses a function then, where a script runs and only its commands that
      // need memory fail (a release, which frees some, succeeds).
      const gone = /unknown command/i.test(err.message) || err.message.startsWith("NOPERM");
      if (!gone && !err.message.startsWith("OOM")) throw err;
      if (gone) this.#function = false;
      return callLua(this.#client, BATCH_LUA, BATCH_SHA, this.#key, args);
    }
  }
}
