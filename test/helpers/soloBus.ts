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
    endedHere: () => undefined,
    settled: async () => undefined,
    othersPending: () => false,
    pendingEvents: async () => [],
    isPending: async () => false,
    saveCursor: () => undefined,
  } as unknown as SessionBus;
}
