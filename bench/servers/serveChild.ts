/**
 * The child-process side of a server under test. The parent (`spawnServer.ts`) passes the
 * {@link ServerSpec} as JSON in argv[2]; the child starts its server, prints
 * `LISTENING <url>` on stdout, and stops on SIGTERM/SIGINT or when its stdin closes (so that a
 * crashed parent leaves no orphan behind). With `spec.recordCalls` it prints
 * `CALLS <json array of inputs>` just before it exits.
 */
import type { CallHook } from "./scenarioFunctions.ts";
import { parseServerSpec, type ServerSpec } from "./ServerSpec.ts";

/** A started server under test. */
export interface RunningServer {
  /** Root URL, e.g. "http://127.0.0.1:43123". */
  readonly url: string;
  /** Stops listening and drops connections. */
  close(): Promise<void>;
}

/** Options of a server starter. */
export interface StartOptions {
  /** @default "127.0.0.1" */
  readonly host?: string;
  /** 0: any free port. @default 0 */
  readonly port?: number;
  /** Sees the input of every function call as it starts. */
  readonly onCall?: CallHook;
}

/** The line prefix the parent waits for. */
export const READY_PREFIX = "LISTENING ";
/** The line prefix of the call log. */
export const CALLS_PREFIX = "CALLS ";

/** Longest a graceful close may take before the child exits anyway. */
const CLOSE_GRACE_MS = 2000;

/** Runs `start` with the spec from argv and serves until told to stop. */
export async function serveChild(
  start: (spec: ServerSpec, options: StartOptions) => Promise<RunningServer>,
): Promise<void> {
  const spec = parseServerSpec(process.argv[2]);
  const calls: string[] = [];
  const server = await start(spec, spec.recordCalls === true ? { onCall: (input) => calls.push(input) } : {});
  let stopping = false;
  const exit = (code: number): void => {
    if (spec.recordCalls !== true) process.exit(code);
    process.stdout.write(`${CALLS_PREFIX}${JSON.stringify(calls)}\n`, () => process.exit(code));
  };
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    const timer = setTimeout(() => exit(0), CLOSE_GRACE_MS);
    server.close().then(
      () => {
        clearTimeout(timer);
        exit(0);
      },
      () => {
        clearTimeout(timer);
        exit(1);
      },
    );
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  process.stdin.on("end", stop);
  process.stdin.on("error", stop);
  process.stdin.resume();
  process.stdout.write(`${READY_PREFIX}${server.url}\n`);
}
