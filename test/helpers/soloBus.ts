import type { Clock } from "../../src/clock.ts";
import { ClusterSessionHub } from "../../src/server/ClusterSessionHub.ts";
import type { SessionHubOptions } from "../../src/server/SessionHub.ts";
import { SessionRelay } from "../../src/server/SessionRelay.ts";
import type { SessionBus } from "../../src/store/index.ts";

/** A store that holds nothing elsewhere: every session is this front's alone. */
export function soloBus(): SessionBus {
  const none = (): (() => void) => () => undefined;
  return {
    publish: () => undefined,
    publishForced: () => undefined,
    onMessage: none,
    onForgotten: none,
    onReconnect: none,
    onLogged: none,
    onUnlogged: none,
    onShared: none,
    adopt: async () => ({ pending: [], running: [], backlog: [] }),
    leave: () => undefined,
    heldElsewhere: async () => false,
    forgetRead: () => undefined,
    deliversHere: () => true,
    runsHere: () => true,
    endedHere: () => undefined,
    whenSettled: (_sessionHash: string, then: () => void) => queueMicrotask(then),
    othersPending: () => false,
    heldSolo: () => true,
    pendingEvents: async () => [],
    isPending: async () => false,
    saveCursor: () => undefined,
  } as unknown as SessionBus;
}

/**
 * A Redis front's session hub over `bus` (by default {@link soloBus}): an engine that cancels
 * nothing, a 100 ms grace, and `options` on top. Its relay is not connected: see {@link relayedHub}.
 */
export function clusterHub(
  clock: Clock,
  bus: SessionBus = soloBus(),
  options: Partial<SessionHubOptions> = {},
): ClusterSessionHub {
  return relayedHub(clock, bus, options, false).hub;
}

/**
 * {@link clusterHub} with its relay, connected unless `connect` is false: the store's messages
 * reach the hub through the relay, as on a front.
 */
export function relayedHub(
  clock: Clock,
  bus: SessionBus,
  options: Partial<SessionHubOptions> = {},
  connect = true,
): { hub: ClusterSessionHub; relay: SessionRelay } {
  const relay = new SessionRelay(bus);
  const hub = new ClusterSessionHub({
    clock,
    engine: { cancelSession: async () => 1 },
    sessionGraceMs: 100,
    heartbeatMs: 15_000,
    ...options,
    bus,
    relay,
  });
  if (connect) relay.connect(hub.deliver);
  return { hub, relay };
}
