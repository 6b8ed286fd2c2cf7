/**
 * The connections of one {@link RedisStore} (one "node" of the cluster): a command connection
 * with the Lua scripts, a subscriber connection for wake-ups and messages addressed to this node,
 * the lease heartbeat and the reaper of expired leases, and reconnect detection.
 *
 * Failure behaviour: commands never wait for a connection (ioredis' offline queue is off), so
 * while Redis is unreachable every call fails at once with STORE_UNAVAILABLE (HTTP 503) instead
 * of hanging; ioredis reconnects by itself, and once both connections are back the node
 * resubscribes, checks whether Redis lost its data, and tells its listeners (who catch up).
 */
import { randomBytes } from "node:crypto";
import type { RedisOptions } from "ioredis";
import { checkProtocol, connect, waitReady, type RedisClient } from "./redisConnect.ts";
import { every, systemClock, type Clock, type Repeating, type TimerHandle } from "../clock.ts";
import { UsherError } from "../errors.ts";
import { redact, rethrowStoreError, toStoreError, WORKER_LOST_ERROR, WORKER_RETRY_LOG } from "./redisLinkErrors.ts";
import type { ScriptName } from "./redisScripts.ts";
import { ScriptBatch } from "./ScriptBatch.ts";
import { RedisTime } from "./RedisTime.ts";
import { QuietStarts } from "./QuietStarts.ts";
import { SoloSessions } from "./SoloSessions.ts";
import type { ResolvedRedisStoreOptions } from "./RedisStoreOptions.ts";
import { usherWarning } from "../warnings.ts";
import { WriteCoalescer } from "./WriteCoalescer.ts";

/**
 * A message on this node's channel: a session message (M), events that left (L), a cancel request
 * (C), a session another node adopted (H).
 */
export type NodeMessageKind = "M" | "L" | "S" | "C" | "H";

/** A claim this node runs: its pool, the session of its head (renewals keep it pending) and its events. */
export interface HeldLease {
  readonly poolId: string;
  readonly sessionHash: string;
  readonly eventIds: readonly string[];
  /** Their client keys (with maxPerClient each leaves its count on release; see RedisStore#released). */
  readonly clientKeys?: readonly string[];
}

/** Connections, scripts, channels and timers of one node. See the file comment. */
export class RedisLink {
  readonly options: ResolvedRedisStoreOptions;
  readonly prefix: string;
  readonly nodeId = randomBytes(8).toString("hex");
  /** Commands (scripts included). Fails fast while disconnected. */
  readonly cmd: RedisClient;
  readonly #sub: RedisClient;
  readonly #writes: WriteCoalescer;
  /** This turn's hot-path script calls, sent as one at its end (see ScriptBatch). */
  readonly #batch: ScriptBatch;
  readonly #wakeChannel: string;
  /** The key every script declares (KEYS[1]): it carries the queue's hash tag. */
  readonly #seqKey: string;
  readonly #nodeChannel: string;
  readonly #nodeHandlers = new Map<NodeMessageKind, (body: string) => void>();
  #wakeHandler: ((from: string, kind: string, args: readonly string[]) => void) | null = null;
  readonly #reconnectHandlers = new Set<(lostData: boolean) => void>();
  /** Claims this node runs, by lease id (`<head>|<lease>`, their member of `run:<pool>`). */
  readonly held = new Map<string, HeldLease>();
  /** Redis' clock as this node estimates it (claims pass it to their scripts). */
  readonly redisTime: RedisTime;
  /** The sessions this node holds alone for sure (the heartbeat says whether every node tells). */
  readonly solo: SoloSessions;
  /** Whether this node's claims may leave starts to results, and the starts they owe (QuietStarts.ts). */
  readonly quiet: QuietStarts;
  /** Nodes Redis knew at the last heartbeat; 0 before the first. */
  #nodes = 0;
  /**
   * Heartbeats answered. The first count may miss a node that started at the same moment (its
   * hello came before this node listened, its heartbeat after this one's): alone needs two.
   */
  #beats = 0;
  /** Another node spoke since the last heartbeat. */
  #heardOthers = false;
  /** Wake-ups heard from other nodes, ever (a heartbeat's count is fresh only if none came during it). */
  #heard = 0;
  /** The clock of this node's timers. Leases expire on Redis's own time, so it is the real one. */
  readonly clock: Clock = systemClock;
  readonly #heartbeat: Repeating;
  #reaper: TimerHandle | null = null;
  #epoch: string | null = null;
  /** The first connection is complete (a break before it is the first connect's business). */
  #connected = false;
  #broken = false;
  #resyncing = false;
  #closed = false;
  #lastWarnMs = -Infinity;
  readonly #ready: Promise<void>;

  constructor(options: ResolvedRedisStoreOptions) {
    this.options = options;
    this.redisTime = new RedisTime(options.leaseMs, this.clock);
    this.solo = new SoloSessions(options.stateTtlMs / 2, options.sessionTtlMs, this.clock);
    // The braces make the prefix a hash tag: every key of one queue lives in one Redis Cluster slot.
    this.prefix = `{${options.keyPrefix}}`;
    this.#wakeChannel = `${this.prefix}wake`;
    this.#seqKey = `${this.prefix}seq`;
    this.#nodeChannel = `${this.prefix}to:${this.nodeId}`;
    this.quiet = new QuietStarts(this.clock, this.nodeId, (origin, ids) =>
      this.fire((r) => r.publish(`${this.prefix}to:${origin}`, `S${JSON.stringify(ids)}`)),
    );
    const common: RedisOptions = {
      // Reconnect for ever, backing off to 1 s: Usher must recover without a restart.
      retryStrategy: (times) => Math.min(50 * times, 1000),
      maxRetriesPerRequest: 1,
      ...options.redis,
    };
    // No offline queue: while Redis is away a join must get 503 at once, not hang.
    this.cmd = connect(options, common, false);
    this.#batch = new ScriptBatch(this.cmd, this.#seqKey, this.prefix, this.nodeId, this.clock);
    this.#writes = new WriteCoalescer(this.cmd, this.clock, () => this.#batch.flush());
    this.#sub = connect(options, common, true);
    this.cmd.on("error", (err: Error) => this.#warn(err));
    this.#sub.on("error", (err: Error) => this.#warn(err));
    for (const conn of [this.cmd, this.#sub]) {
      conn.on("close", () => {
        if (!this.#closed) this.#broken = true;
        this.redisTime.reset();
        this.quiet.broke();
      });
      conn.on("ready", () => this.#onReady());
    }
    this.#sub.on("message", (channel: string, message: string) => this.#onChannel(channel, message));
    this.#ready = this.#connect();
    // The ready promise may be awaited later (or never): do not let a failure go unhandled.
    this.#ready.catch(() => undefined);
    this.#heartbeat = every(this.clock, Math.max(50, Math.floor(options.leaseMs / 3)), () => void this.#beat());
  }

  /** Resolves once both connections are up and subscribed; rejects with STORE_UNAVAILABLE after `timeoutMs`. */
  async ready(timeoutMs = this.options.connectTimeoutMs): Promise<void> {
    const url = redact(this.options.url);
    const late = new UsherError("STORE_UNAVAILABLE", `Could not connect to Redis at ${url} within ${timeoutMs} ms.`);
    let timer: TimerHandle | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = this.clock.setTimeout(() => reject(late), timeoutMs);
    });
    try {
      await Promise.race([this.#ready, timeout]);
    } finally {
      if (timer !== undefined) this.clock.clearTimeout(timer);
    }
  }

  /** Runs a script; Redis being unreachable becomes STORE_UNAVAILABLE. */
  run(name: ScriptName, ...args: (string | number)[]): Promise<unknown> {
    return this.runArgs(name, args);
  }

  /** {@link run} with the arguments as one array, kept as it is (the hot path builds its calls' once). */
  runArgs(name: ScriptName, args: readonly (string | number)[]): Promise<unknown> {
    try {
      return this.#batch.run(name, args, this.#writes.gather()).catch(rethrowStoreError);
    } catch (err) {
      return Promise.reject(toStoreError(err));
    }
  }

  /** {@link run} for a call that may wait a moment for others to leave with it (see ScriptBatch.runSoon). */
  async runSoon(name: ScriptName, ...args: (string | number)[]): Promise<unknown> {
    return this.#batch.runSoon(name, args).catch(rethrowStoreError);
  }

  /** Runs any command function; Redis being unreachable becomes STORE_UNAVAILABLE. */
  async call<T>(fn: (redis: RedisClient) => Promise<T>): Promise<T> {
    this.#writes.gather();
    this.#batch.flush();
    try {
      return await fn(this.cmd);
    } catch (err) {
      throw toStoreError(err);
    }
  }

  /** Runs a command whose failure is only worth a warning (publishing, cursors...). */
  fire(fn: (redis: RedisClient) => Promise<unknown>): void {
    this.#writes.gather();
    this.#batch.flush();
    try {
      fn(this.cmd).catch((err: unknown) => this.#warn(err));
    } catch (err) {
      this.#warn(err);
    }
  }

  /** Connected, with no break since the last resync (messages sent now reach a store that knows its state). */
  get healthy(): boolean {
    return this.#connected && !this.#broken && !this.#closed && this.cmd.status === "ready";
  }

  /**
   * True when no other node uses the queue (as of the last heartbeat, and none spoke since): wake-ups
   * would reach nobody, so the scripts skip them. A node that starts says so at once ("h").
   */
  get alone(): boolean {
    return this.#nodes === 1 && this.#beats >= 2 && !this.#heardOthers;
  }

  /** Handles one kind of message addressed to this node. */
  onNodeMessage(kind: NodeMessageKind, handler: (body: string) => void): void {
    this.#nodeHandlers.set(kind, handler);
  }

  /** Handles wake-ups (`from` is the sending node; this node's own are passed too). */
  onWake(handler: (from: string, kind: string, args: readonly string[]) => void): void {
    this.#wakeHandler = handler;
  }

  /** Publishes a wake-up to every node: `kind` and its arguments. */
  wake(kind: string, ...args: (string | number)[]): void {
    this.fire((r) => r.publish(this.#wakeChannel, [this.nodeId, kind, ...args].join(" ")));
  }

  /** Called after a break, once both connections are back and subscribed. */
  onReconnect(handler: (lostData: boolean) => void): () => void {
    this.#reconnectHandlers.add(handler);
    return () => this.#reconnectHandlers.delete(handler);
  }

  /** Stops timers and closes both connections. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#heartbeat.stop();
    if (this.#reaper !== null) this.clock.clearTimeout(this.#reaper);
    // Calls waiting for their batch go before the connection does.
    this.#batch.flush();
    await Promise.all([this.cmd, this.#sub].map((c) => c.quit().catch(() => c.disconnect())));
  }

  async #connect(): Promise<void> {
    await Promise.all([waitReady(this.cmd), waitReady(this.#sub)]);
    await this.#sub.subscribe(this.#wakeChannel, this.#nodeChannel);
    await checkProtocol(this.cmd, this.prefix, this.options.keyPrefix);
    await this.#batch.useFunction();
    await this.cmd.set(`${this.prefix}epoch`, randomBytes(8).toString("hex"), "NX");
    this.#epoch = await this.cmd.get(`${this.prefix}epoch`);
    this.#connected = true;
    this.#broken = false;
    // Nodes that think they are alone wake this one; "s": it tells sessions it touches; "q": QuietStarts.ts.
    this.wake("h", "s", "q");
    void this.#beat();
    // A second count soon, so that a node alone knows it (see #beats) long before the next beat.
    this.clock.setTimeout(() => void this.#beat(), Math.min(250, Math.floor(this.options.leaseMs / 3)));
    this.#scheduleReap();
  }

  #onReady(): void {
    if (!this.#connected || !this.#broken || this.#resyncing || this.#closed) return;
    if (this.cmd.status !== "ready" || this.#sub.status !== "ready") return;
    this.#resyncing = true;
    void this.#resync().finally(() => {
      this.#resyncing = false;
    });
  }

  /** After a break: resubscribe, find out whether Redis lost its data, then tell the listeners. */
  async #resync(): Promise<void> {
    try {
      await this.#sub.subscribe(this.#wakeChannel, this.#nodeChannel);
      const epoch = await this.cmd.get(`${this.prefix}epoch`);
      let lostData = false;
      if (epoch === null || epoch !== this.#epoch) {
        lostData = true;
        await checkProtocol(this.cmd, this.prefix, this.options.keyPrefix);
        await this.cmd.set(`${this.prefix}epoch`, randomBytes(8).toString("hex"), "NX");
        this.#epoch = await this.cmd.get(`${this.prefix}epoch`);
        // Our leases went with the data: nothing to renew any more.
        this.held.clear();
      }
      this.#broken = false;
      await this.#beat();
      for (const h of this.#reconnectHandlers) {
        try {
          h(lostData);
        } catch (err) {
          this.#warn(err);
        }
      }
    } catch (err) {
      // Broke again meanwhile: the next "ready" tries again.
      this.#warn(err);
    }
  }

  #onChannel(channel: string, message: string): void {
    if (channel === this.#nodeChannel) {
      const handler = this.#nodeHandlers.get(message.charAt(0) as NodeMessageKind);
      if (handler !== undefined)
        safely(
          () => handler(message.slice(1)),
          (e) => this.#warn(e),
        );
      return;
    }
    if (channel === this.#wakeChannel && this.#wakeHandler !== null) {
      const [from = "", kind = "", ...args] = message.split(" ");
      if (from !== this.nodeId) {
        this.#heardOthers = true;
        this.#heard++;
        if (kind === "h") this.quiet.heardHello(args);
      }
      const handler = this.#wakeHandler;
      safely(
        () => handler(from, kind, args),
        (e) => this.#warn(e),
      );
    }
  }

  /** Keeps this node alive in Redis and renews its leases. */
  async #beat(): Promise<void> {
    if (this.#closed || this.cmd.status !== "ready") return;
    try {
      const args: string[] = [];
      for (const [id, h] of this.held) args.push(h.poolId, id, h.sessionHash);
      const heardBefore = this.#heard;
      const sentAtMs = this.clock.now();
      const hellos = this.quiet.hellos;
      const [lost, nodes, redisMs, allTell, allQuiet] = (await this.run(
        "usherRenew",
        this.options.leaseMs,
        this.options.sessionTtlMs,
        ...args,
      )) as [string[], number, number, number, number];
      this.redisTime.sample(sentAtMs, redisMs);
      this.solo.counted(allTell === 1);
      this.quiet.counted(allQuiet === 1, hellos);
      this.#nodes = nodes;
      this.#beats++;
      // What was heard during the call may be a node the count does not include yet.
      if (heardBefore === this.#heard) this.#heardOthers = false;
      for (const id of lost) this.held.delete(id);
      if (lost.length > 0) {
        usherWarning(
          "UsherLeaseWarning",
          `Usher lost ${lost.length} job lease(s): this process did not renew them within ${this.options.leaseMs} ms (a blocked event loop?); their jobs were retried or failed elsewhere.`,
        );
      }
    } catch (err) {
      this.#warn(err);
    }
  }

  /** Reaps expired leases about twice per lease period, at a random phase so nodes do not all reap at once. */
  #scheduleReap(): void {
    if (this.#closed) return;
    const periodMs = Math.max(50, Math.floor(this.options.leaseMs / 2));
    this.#reaper = this.clock.setTimeout(
      () => {
        void this.#reap().finally(() => this.#scheduleReap());
      },
      Math.floor(periodMs * (0.75 + Math.random() * 0.5)),
    );
  }

  async #reap(): Promise<void> {
    if (this.cmd.status !== "ready") return;
    const o = this.options;
    try {
      const [, retried = 0] = (await this.run(
        "usherReap",
        o.maxAttempts,
        o.sessionTtlMs,
        o.sessionMaxMessages,
        JSON.stringify(WORKER_LOST_ERROR),
        JSON.stringify(WORKER_RETRY_LOG).slice(1),
        o.leaseMs,
      )) as number[];
      // The other nodes hear of the retried jobs through the wake channel; this node ignores its
      // own wakes, so it must hear of them here (it may be the one with a free slot).
      if (retried > 0) this.#wakeHandler?.("", "j", []);
    } catch (err) {
      this.#warn(err);
    }
  }

  /** Connection trouble is expected while Redis restarts: one line per 5 s at most, not a flood. */
  #warn(err: unknown): void {
    if (this.#closed) return;
    const now = this.clock.now();
    if (now - this.#lastWarnMs < 5000) return;
    this.#lastWarnMs = now;
    usherWarning(
      "UsherStoreWarning",
      `Usher Redis store (${redact(this.options.url)}): ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

function safely(fn: () => void, onError: (err: unknown) => void): void {
  try {
    fn();
  } catch (err) {
    onError(err);
  }
}
