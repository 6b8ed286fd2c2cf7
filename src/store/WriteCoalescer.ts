import type { Writable } from "node:stream";
import { systemClock, type Clock } from "../clock.ts";
import type { RedisClient } from "./redisConnect.ts";

/**
 * Gathers the commands a node sends to Redis during one turn of the event loop into one socket
 * write. ioredis writes each command at once, a `write` system call apiece: at 50 users a front
 * issued two a prediction, and those calls (with Redis's reads and replies to match) were the
 * largest single cost of a prediction on the Redis store (writes of command text were 11% of a
 * front's CPU, its writes in all 26%). Corking the connection at the first command of a turn and
 * uncorking it in the turn's check phase (the clock's `defer`, `setImmediate`: after every I/O
 * callback of the turn) sends them together; Redis reads them in one go and answers in one write
 * too. A lone command waits for the end of its turn, microseconds.
 *
 * Only a single Redis connection is corked: a Redis Cluster spreads commands over connections of
 * its own (one queue's keys share a slot, but the client picks the node), which are left as they are.
 */
export class WriteCoalescer {
  readonly #client: RedisClient;
  readonly #clock: Clock;
  /** The socket corked for this turn, or null. ioredis replaces it on reconnect: uncork the one corked. */
  #corked: Writable | null = null;
  /** Called at the turn's end before the write: the last commands of the turn (a batch) join it. */
  readonly #beforeWrite: () => void;
  readonly #uncork = (): void => {
    this.#beforeWrite();
    const stream = this.#corked;
    this.#corked = null;
    stream?.uncork();
  };

  constructor(client: RedisClient, clock: Clock = systemClock, beforeWrite: () => void = () => undefined) {
    this.#client = client;
    this.#clock = clock;
    this.#beforeWrite = beforeWrite;
  }

  /**
   * Call before sending a command: this turn's commands leave together at its end. Returns true
   * when they do (the connection is corked until then), false when a command now leaves at once.
   */
  gather(): boolean {
    if (this.#corked !== null) return true;
    const client = this.#client;
    if (!("stream" in client) || client.status !== "ready") return false;
    const stream: Writable | undefined = client.stream;
    if (stream === undefined || stream.destroyed || !stream.writable) return false;
    stream.cork();
    this.#corked = stream;
    this.#clock.defer(this.#uncork);
    return true;
  }
}
