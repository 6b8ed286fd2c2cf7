import type { IncomingMessage } from "node:http";
import type { ServedApp } from "../app/index.ts";
import type { Clock } from "../clock.ts";
import type { ResolvedLaunchOptions } from "../options.ts";
import type { QueueEngine } from "../queue/index.ts";
import type { FileStore } from "../store/index.ts";
import type { Authenticator } from "./auth/Authenticator.ts";
import type { Metrics } from "./metrics.ts";
import type { ReaderBudget } from "./ReaderBudget.ts";
import type { RequestPolicy } from "./RequestPolicy.ts";
import type { SessionHub } from "./SessionHub.ts";
import type { SessionOwners } from "./SessionOwners.ts";
import type { LegacyRouter } from "./ws/LegacyRouter.ts";

/** Everything the routes share. */
export interface ServerContext {
  readonly app: ServedApp;
  readonly engine: QueueEngine;
  readonly hub: SessionHub;
  readonly files: FileStore;
  readonly options: ResolvedLaunchOptions;
  /** Whether `.queue()` was called (or implied on Spaces). */
  readonly queueEnabled: boolean;
  /** The queue's `apiOpen`. */
  readonly apiOpen: boolean;
  readonly appId: number;
  /**
   * Under `usher --reload`: the config says `dev_mode` and `dev/reload` tells the page which
   * process serves it (devReloadRoute.ts). Absent: false.
   */
  readonly devReload?: boolean;
  /** Time for the routes' own timers (heartbeats, pings, refusal windows); absent: the system clock. */
  readonly clock?: Clock;
  /**
   * Public base URL of a request: reads only its headers and socket, so that a raw request (the
   * fast lane's) is one too.
   */
  rootOf(req: Pick<IncomingMessage, "headers" | "socket">): string;
  /**
   * A raw request's client address (the peer, or the client a trusted proxy names); absent only in
   * contexts built by hand for tests, where the peer's address serves.
   */
  readonly clientAddress?: (req: Pick<IncomingMessage, "headers" | "socket">) => string | undefined;
  /**
   * Login check when `launch({ auth })` is set, else null/absent. Doors outside Fastify's routing
   * (a WebSocket upgrade) must call `auth.userOf(req.headers.cookie)` and refuse null with 401.
   */
  readonly auth?: Authenticator | null;
  /**
   * Who each session belongs to (see SessionOwners); every door that joins, streams or cancels a
   * session asks it. Absent/null only in contexts built by hand for tests.
   */
  readonly owners?: SessionOwners | null;
  /** Caps on what readers leave unread (`maxConnectionBufferBytes`…); absent: none (tests). */
  readonly budget?: ReaderBudget | null;
  /**
   * Counts and logs a refusal that is not an HTTP answer (a reader cut off, a result not kept),
   * like the routes' refusals. Set by createServer.
   */
  refused?: (code: "SLOW_READER" | "RESULT_DROPPED") => void;
  /**
   * The app's `queue({ clientKey, priority })` callbacks; null/absent when it set neither: every
   * door then gives the engine the default key (the signed-in user, else the client address) and
   * priority 0 without building a QueueRequest (see engineJoin in admission.ts).
   */
  readonly policy?: RequestPolicy | null;
  /** Prometheus metrics (`launch({ metrics })`), else null/absent. */
  readonly metrics?: Metrics | null;
  /**
   * A session's presence stream (heartbeat stream or queue socket) closed: free its State unless
   * one comes back within the grace period.
   */
  heartbeatClosed(sessionHash: string): void;
  /** A presence stream of the session opened: its State stays while one is open. */
  sessionOpened?(sessionHash: string): void;
  /** Routes Gradio 3.x queue sockets (`/queue/join`); absent: that door is closed. */
  readonly legacy?: LegacyRouter | null;
}

/** Gradio's API prefix. */
export const API_PREFIX = "/gradio_api";

/** Where the page listens for the server's replacement under `usher --reload` (devReloadRoute.ts). */
export const DEV_RELOAD_PATH = `${API_PREFIX}/dev/reload`;
