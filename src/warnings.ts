/**
 * Usher's own warnings: a listener that threw, a worker thread that died outside a call, a store
 * that cannot be reached or published to. They come from layers that have no logger (the engine,
 * the runtime, the stores), so they go through here: by default as Node process warnings, and
 * while a server with structured logging runs, as lines of its log, so that every line that
 * server writes is JSON.
 */

/** Where a warning goes: its kind (e.g. "UsherStoreWarning") and its text. */
export type WarningSink = (type: string, message: string) => void;

/** The sinks of the servers that log, newest last (a process may run several, tests above all). */
const sinks: WarningSink[] = [];

/** Reports one warning: to the newest server log that is open, else as a Node process warning. */
export function usherWarning(type: string, message: string): void {
  const sink = sinks.at(-1);
  if (sink === undefined) process.emitWarning(message, type);
  else sink(type, message);
}

/** Sends Usher's warnings to `sink` until the returned function is called (when its server closes). */
export function routeWarnings(sink: WarningSink): () => void {
  sinks.push(sink);
  return () => {
    const i = sinks.lastIndexOf(sink);
    if (i >= 0) sinks.splice(i, 1);
  };
}
