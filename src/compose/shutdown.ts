import type { FastifyBaseLogger } from "fastify";

/** Signals that end a server gracefully. */
const SIGNALS = ["SIGTERM", "SIGINT"] as const;

/**
 * On SIGTERM or SIGINT, runs `close` (stop admitting, tell waiting users, let running work finish
 * within its grace period), then raises the signal again with the handler removed, so the process
 * ends the way it would have without us (exit status 128 + signal) unless something else handles
 * it. Returns a function that removes the handlers (called when the app is closed otherwise).
 */
export function handleSignals(close: () => Promise<void>, log: FastifyBaseLogger | null): () => void {
  const handlers = new Map<NodeJS.Signals, () => void>();
  const uninstall = (): void => {
    for (const [signal, h] of handlers) process.removeListener(signal, h);
    handlers.clear();
  };
  for (const signal of SIGNALS) {
    const handler = (): void => {
      uninstall();
      log?.info({ signal }, "shutting down");
      const reraise = (): void => {
        log?.info({ signal }, "stopped");
        const kill = (): void => void process.kill(process.pid, signal);
        // A signal ends the process without its exit flush: the last lines ("shutting down",
        // "stopped") must be out first. The server's own logger writes them at once
        // (createServer.ts); a flush covers a logger that buffers.
        const flush = (log as { flush?: (cb: (err?: Error) => void) => void } | null)?.flush;
        if (log === null || typeof flush !== "function") kill();
        else flush.call(log, kill);
      };
      close().then(reraise, (err: unknown) => {
        log?.error({ err }, "error while shutting down");
        reraise();
      });
    };
    handlers.set(signal, handler);
    process.once(signal, handler);
  }
  return uninstall;
}
