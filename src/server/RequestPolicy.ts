import type { QueueRequest } from "../queue/index.ts";
import { usherWarning } from "../warnings.ts";

/** Longest client key taken from an app's callback: a longer one is a bug (a header passed whole), not a key. */
export const MAX_CLIENT_KEY_LENGTH = 1024;
/** Least time between two warnings about an app's failing callbacks, ms: a broken callback fails on every join. */
const WARN_EVERY_MS = 60_000;

/** The app's callbacks of `queue({ clientKey, priority })`. */
export interface RequestPolicyCallbacks {
  readonly clientKey: ((request: QueueRequest) => string) | null;
  readonly priority: ((request: QueueRequest) => number) | null;
}

/**
 * An app's `clientKey` and `priority` callbacks as every door calls them, guarded.
 *
 * A callback that throws or gives a bad value (not a non-empty string of at most
 * {@link MAX_CLIENT_KEY_LENGTH} characters; not a finite number; anything asynchronous) does not
 * refuse the join: the request gets the default key (the signed-in user, else the address) or
 * priority 0, and the server logs a warning (at most one per minute, counting the others). Why
 * not a 500: the callback is the app's code run on every join, and a bug in it (a header it did not
 * expect) would otherwise close the demo to everyone it trips on; the defaults are the policy that
 * holds without the callback, so a failure never gives anyone more than they would have had.
 */
export class RequestPolicy {
  readonly #clientKey: ((request: QueueRequest) => string) | null;
  readonly #priority: ((request: QueueRequest) => number) | null;
  readonly #now: () => number;
  /** Failures not yet reported, and when the next warning may go out. */
  #unreported = 0;
  #nextWarnMs = Number.NEGATIVE_INFINITY;

  constructor(callbacks: RequestPolicyCallbacks, now: () => number) {
    this.#clientKey = callbacks.clientKey;
    this.#priority = callbacks.priority;
    this.#now = now;
  }

  /** A policy for the app's callbacks, or null when it set neither (the doors then build no request). */
  static of(callbacks: RequestPolicyCallbacks, now: () => number): RequestPolicy | null {
    return callbacks.clientKey === null && callbacks.priority === null ? null : new RequestPolicy(callbacks, now);
  }

  /** The app's key for `request`, or `fallback` (the default key) without a callback or when it fails. */
  clientKeyOf(request: QueueRequest, fallback: string | undefined): string | undefined {
    const callback = this.#clientKey;
    if (callback === null) return fallback;
    let key: unknown;
    try {
      key = callback(request);
    } catch (err) {
      this.#failed("clientKey", `threw (${messageOf(err)})`);
      return fallback;
    }
    if (typeof key === "string" && key !== "" && key.length <= MAX_CLIENT_KEY_LENGTH) return key;
    this.#failed("clientKey", `returned ${describe(key)}, not a string of 1 to ${MAX_CLIENT_KEY_LENGTH} characters`);
    return fallback;
  }

  /** The app's priority level for `request`, or 0 without a callback or when it fails. */
  priorityOf(request: QueueRequest): number {
    const callback = this.#priority;
    if (callback === null) return 0;
    let level: unknown;
    try {
      level = callback(request);
    } catch (err) {
      this.#failed("priority", `threw (${messageOf(err)})`);
      return 0;
    }
    if (typeof level === "number" && Number.isFinite(level)) return level;
    this.#failed("priority", `returned ${describe(level)}, not a finite number`);
    return 0;
  }

  #failed(which: "clientKey" | "priority", why: string): void {
    this.#unreported++;
    const now = this.#now();
    if (now < this.#nextWarnMs) return;
    this.#nextWarnMs = now + WARN_EVERY_MS;
    const others = this.#unreported - 1;
    this.#unreported = 0;
    const fallback = which === "clientKey" ? "the default key (the signed-in user, else the address)" : "priority 0";
    const since = others > 0 ? ` (${others} other failures of the callbacks since the last warning)` : "";
    usherWarning("UsherQueuePolicyWarning", `queue({ ${which} }) ${why}: the join got ${fallback}${since}.`);
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A short description of a bad value for a warning (a key is not quoted whole: it may be long or private). */
function describe(value: unknown): string {
  if (value === null) return "null";
  if (value instanceof Promise) return "a promise (callbacks must answer synchronously)";
  if (typeof value === "string") return value === "" ? "an empty string" : `a string of ${value.length} characters`;
  if (typeof value === "number") return String(value);
  return `a value of type ${typeof value}`;
}
