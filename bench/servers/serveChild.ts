/**
 * The child-process side of a server under test. The parent (`spawnServer.ts`) passes the
 * {@link ServerSpec} as JSON in argv[2]; the child starts its server, prints
 * `LISTENING <url>` on stdout, and exits on SIGTERM/SIGINT or when its stdin closes (so that a
 * crashed parent leaves no orphan behind).
 */
import { parseServerSpec, type ServerSpec } from "./ServerSpec.ts";

/** A started server under test. */
export interface RunningServer {
  /** Root URL, e.g. "http://127.0.0.1:43123". */
  readonly url: string;
  /** Stops listening and drops connections. */
  close(): Promise<void>;
}

/** The line prefix the parent waits for. */
export const READY_PREFIX = "LISTENING ";

/** Longest a graceful close may take before the child exits anyway. */
const CLOSE_GRACE_MS = 2000;

/** Runs `start` with the spec from argv and serves until told to stop. */
export async function serveChild(start: (spec: ServerSpec) => Promise<RunningServer>): Promise<void> {
  const spec = parseServerSpec(process.argv[2]);
  const server = await start(spec);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    const timer = setTimeout(() => process.exit(0), CLOSE_GRACE_MS);
    server.close().then(
      () => {
        clearTimeout(timer);
        process.exit(0);
      },
      () => process.exit(1),
    );
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  process.stdin.on("end", stop);
  process.stdin.on("error", stop);
  process.stdin.resume();
  process.stdout.write(`${READY_PREFIX}${server.url}\n`);
}
