/**
 * `launch()`: builds the app, makes the queue engine and the session hub, and listens.
 */
import { randomInt } from "node:crypto";
import type { Buildable } from "../app/ServedApp.ts";
import { systemClock } from "../clock.ts";
import {
  onSpaces,
  resolveLaunchOptions,
  resolveQueueOptions,
  type LaunchOptions,
  type QueueOptions,
} from "../options.ts";
import { QueueEngine } from "../queue/QueueEngine.ts";
import { LocalFileStore } from "../store/LocalFileStore.ts";
import { createServer } from "./createServer.ts";
import { requestRoot } from "./requestRoot.ts";
import type { ServerContext } from "./ServerContext.ts";
import { SessionHub } from "./SessionHub.ts";

/** A launched app. */
export interface RunningApp {
  /** Base URL, e.g. "http://127.0.0.1:7860". */
  readonly url: string;
  readonly port: number;
  /** The queue engine (for metrics and tests). */
  readonly engine: QueueEngine;
  /** Stops admitting, tells waiting users, lets running work finish (up to `graceMs`), closes every connection. */
  close(options?: { graceMs?: number }): Promise<void>;
}

/** Launches `app`; `queue` is null when `.queue()` was never called (on Spaces the queue is on anyway). */
export async function launchApp(app: Buildable, queue: QueueOptions | null, options: LaunchOptions = {}): Promise<RunningApp> {
  const queueEnabled = queue !== null || onSpaces();
  const q = resolveQueueOptions(queue ?? {});
  const l = resolveLaunchOptions(options, q.concurrencyCount);
  const files = new LocalFileStore(l.cacheDir, l.allowedPaths);
  const served = app.build({ files });
  const engine = new QueueEngine({
    functions: served.functions,
    ...(q.store === undefined ? {} : { store: q.store }),
    concurrencyCount: q.concurrencyCount,
    maxSize: q.maxSize,
    maxThreads: l.maxThreads,
    statusUpdateMs: q.statusUpdateMs,
    showError: l.showError,
  });
  const hub = new SessionHub({
    clock: systemClock,
    engine,
    sessionGraceMs: l.sessionGraceMs,
    heartbeatMs: l.heartbeatMs,
    onSessionGone: (h) => served.closeSession(h),
  });
  engine.on(hub.deliver);

  const heartbeatTimers = new Map<string, NodeJS.Timeout>();
  const ctx: ServerContext = {
    app: served,
    engine,
    hub,
    files,
    options: l,
    queueEnabled,
    apiOpen: q.apiOpen,
    appId: randomInt(1, 2 ** 47),
    rootOf: (req) => requestRoot(req.headers, "encrypted" in req.socket && req.socket.encrypted === true, l.rootPath),
    heartbeatClosed(sessionHash) {
      clearTimeout(heartbeatTimers.get(sessionHash));
      const t = setTimeout(() => {
        heartbeatTimers.delete(sessionHash);
        served.closeSession(sessionHash);
      }, l.sessionGraceMs);
      t.unref();
      heartbeatTimers.set(sessionHash, t);
    },
  };
  const server = await createServer(ctx);
  await server.listen({ port: l.port, host: l.host });
  const address = server.server.address();
  const port = typeof address === "object" && address !== null ? address.port : l.port;
  const host = l.host.includes(":") ? `[${l.host}]` : l.host === "0.0.0.0" ? "127.0.0.1" : l.host;
  const url = `http://${host}:${port}${l.rootPath}`;
  if (!l.quiet) console.log(`Running on local URL:  ${url}`);

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    engine,
    close(closeOptions = {}) {
      closing ??= (async () => {
        await engine.close(closeOptions.graceMs === undefined ? {} : { graceMs: closeOptions.graceMs });
        hub.close();
        for (const t of heartbeatTimers.values()) clearTimeout(t);
        await server.close();
      })();
      return closing;
    },
  };
}
