/**
 * What `launch()` and `runWorker()` build differently when the queue's store is shared by several
 * processes (Redis): files and State values every process reaches, the event bus that carries the
 * engine's events to the process holding each session's stream, and the hub that can take over
 * sessions joined through another front. With the in-memory store none of this exists.
 */
import type { SessionStateStore } from "../store/index.ts";
import type { FileStore } from "../store/index.ts";
import type { SharedQueueStore } from "../store/index.ts";
import { ClusterSessionHub } from "../server/index.ts";
import type { SessionHub, SessionHubOptions } from "../server/index.ts";
import { SessionRelay } from "../server/index.ts";

/** The shared-queue parts of one process. */
export interface SharedQueueParts {
  readonly store: SharedQueueStore;
  readonly files: FileStore;
  readonly state: SessionStateStore;
  /** The engine's event bus. */
  readonly relay: SessionRelay;
  /** The session hub of a front. */
  makeHub(options: SessionHubOptions): SessionHub;
}

/** Connects to the store (STORE_UNAVAILABLE if it cannot) and builds the parts. */
export async function prepareSharedQueue(
  store: SharedQueueStore,
  cacheDir: string,
  allowedPaths: readonly string[],
): Promise<SharedQueueParts> {
  await store.ready();
  const relay = new SessionRelay(store.bus);
  return {
    store,
    files: store.fileStore(cacheDir, allowedPaths),
    state: store.sessionState(),
    relay,
    makeHub: (options) => new ClusterSessionHub({ ...options, bus: store.bus, relay }),
  };
}
