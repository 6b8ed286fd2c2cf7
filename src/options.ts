/**
 * Every option of Usher, its type, its default and its check, in one place. Options are validated
 * once, where they enter (`queue()`, `launch()`, an event listener), and resolved into the
 * `Resolved…` types that the rest of the code reads without further checks.
 */
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { UsherError } from "./errors.ts";
import { isProxyAddress } from "./isProxyAddress.ts";
import { count, durationMs, parse } from "./optionSchemas.ts";

export * from "./queueOptions.ts";

// ---------------------------------------------------------------------------------------------
// launch()

/** Options of `app.launch(...)`. */
export interface LaunchOptions {
  /** TCP port; 0 picks a free one. Default 7860. */
  port?: number;
  /** Interface to listen on. Default "127.0.0.1". */
  host?: string;
  /** Total parallel work, queued or direct (max_threads); raised to at least concurrencyCount. Default 40. */
  maxThreads?: number;
  /** Show the message of any error to users, not only of AppError. Default false. */
  showError?: boolean;
  /** How long a session may be without its stream before its events are dropped, ms. Default 5000. */
  sessionGraceMs?: number;
  /** Interval of heartbeat messages on open streams, ms. Default 15 000. */
  heartbeatMs?: number;
  /** Largest JSON request body, bytes. Default 10 MiB. */
  maxBodyBytes?: number;
  /**
   * Bytes one connection (event stream or socket) may leave unread before it is watched: a reader
   * that stays past this for `slowReaderMs` without taking a byte is cut off. Default 4 MiB.
   */
  maxConnectionBufferBytes?: number;
  /**
   * Bytes all readers together may leave unread, plus results kept for readers who left: past
   * this the readers furthest behind are cut off at once. Default 256 MiB.
   */
  maxServerBufferBytes?: number;
  /** How long a reader past `maxConnectionBufferBytes` may go without taking a byte, ms. Default 10 000. */
  slowReaderMs?: number;
  /** How long the results of a reader that was cut off are kept for it to come back and read, ms. Default 60 000. */
  keptResultTtlMs?: number;
  /** Largest uploaded file, bytes (null: no limit). Default 100 MiB. */
  maxFileSize?: number | null;
  /** Folder for uploads and output files. Default `<tmpdir>/usher`. */
  cacheDir?: string;
  /** Extra folders or files that `/file=` may serve. Default none. */
  allowedPaths?: readonly string[];
  /** Path prefix when served behind a proxy under a sub-path, e.g. "/demo". Default "". */
  rootPath?: string;
  /**
   * Origins allowed cross-origin requests (CORS), e.g. `"https://my.site"`. With `auth`, these are
   * also the only other origins whose pages may log in, upload, join or open a socket with the
   * login cookie (others get 403). Default none.
   */
  allowedOrigins?: readonly string[];
  /**
   * Peers whose `X-Forwarded-For` and `X-Forwarded-Proto` are believed (the proxy in front of Usher):
   * addresses, CIDR ranges (`"10.0.0.0/8"`) or `"loopback"`, `"linklocal"`, `"uniquelocal"`; false
   * believes none. They give the client address of the login rate limit and whether the request
   * came over https (the login cookie is then `Secure`). Default `["loopback"]`: a proxy on the
   * same machine, as in the README's nginx setup.
   */
  trustProxy?: false | readonly string[];
  /** Log level of the server's structured log, or false for none. Default "info". */
  logLevel?: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | false;
  /** Print the URL when ready. Default true. */
  quiet?: boolean;
  /**
   * Require a login (Gradio's `auth`): a list of [username, password] pairs, or a function that
   * answers whether a pair is valid. Default none: the app is open.
   */
  auth?: AuthOption;
  /** Text shown on the login page when `auth` is set. Default none. */
  authMessage?: string;
  /** How long uploaded and output files are kept before the sweeper deletes them, ms. Default 1 h. */
  fileTtlMs?: number;
  /** Close gracefully on SIGTERM and SIGINT (stop admitting, finish running work, exit). Default true. */
  handleSignals?: boolean;
  /** Serve Prometheus metrics at `/metrics`. Default true. */
  metrics?: boolean;
  /** Threads of the pool that runs `inWorker()` functions (started on the first such call). Default `os.availableParallelism()`. */
  workerThreads?: number;
  /** Time a cancelled or timed-out `inWorker()` call gets to stop on its signal before its thread is terminated, ms. Default 3000. */
  workerAbortGraceMs?: number;
  /**
   * When a Gradio 3.x socket (`/queue/join`) is asked for its event's inputs (`send_data`):
   * `"join"` (default) right after its `{fn_index, session_hash}`, and the event joins the queue
   * with them, as every later Gradio's join carries its data; `"start"` when its job starts, as
   * Gradio 3.x did: the job then holds its slot for the client's round trip (a client 100 ms away
   * and a 10 ms function leave the slot idle nine tenths of the time), and a waiting event's inputs
   * are not kept in memory. A queue shared by several processes always asks at join (its job may
   * run where the socket is not): `"start"` is refused there.
   */
  legacyInputsAt?: "join" | "start";
  /**
   * Time a Gradio 3.x socket (`/queue/join`) gets to answer `send_data` with its inputs, ms. A
   * socket that sends nothing for this long loses its turn (an error, then close): with
   * `legacyInputsAt: "start"` its job holds its slot meanwhile, and the slot goes to the next event.
   * One still sending keeps it while each such period brings at least 4 KiB/s, up to 60 s in all
   * (Gradio 3.x's own limit). Default 5000.
   */
  legacyDataTimeoutMs?: number;
}

/** `launch({ auth })`: [username, password] pairs or a check (true means the pair may log in). */
export type AuthOption =
  | readonly (readonly [string, string])[]
  | ((username: string, password: string) => boolean | Promise<boolean>);

/** {@link LaunchOptions} with defaults applied. */
export interface ResolvedLaunchOptions {
  readonly port: number;
  readonly host: string;
  readonly maxThreads: number;
  readonly showError: boolean;
  readonly sessionGraceMs: number;
  readonly heartbeatMs: number;
  readonly maxBodyBytes: number;
  readonly maxConnectionBufferBytes: number;
  readonly maxServerBufferBytes: number;
  readonly slowReaderMs: number;
  readonly keptResultTtlMs: number;
  readonly maxFileSize: number | null;
  readonly cacheDir: string;
  readonly allowedPaths: readonly string[];
  readonly rootPath: string;
  readonly allowedOrigins: readonly string[];
  readonly trustProxy: false | readonly string[];
  readonly logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | false;
  readonly quiet: boolean;
  readonly auth: AuthOption | null;
  readonly authMessage: string | null;
  readonly fileTtlMs: number;
  readonly handleSignals: boolean;
  readonly metrics: boolean;
  readonly workerThreads: number;
  readonly workerAbortGraceMs: number;
  readonly legacyInputsAt: "join" | "start";
  readonly legacyDataTimeoutMs: number;
}

const launchSchema = z
  .object({
    port: z.number().int().min(0).max(65535).optional(),
    host: z.string().min(1).optional(),
    maxThreads: count.optional(),
    showError: z.boolean().optional(),
    sessionGraceMs: durationMs.optional(),
    heartbeatMs: z.number().int().min(1).optional(),
    maxBodyBytes: count.optional(),
    // Below 64 kB a connection would count as slow at its ordinary high-water mark.
    maxConnectionBufferBytes: z
      .number()
      .int()
      .min(64 * 1024)
      .optional(),
    maxServerBufferBytes: z
      .number()
      .int()
      .min(64 * 1024)
      .optional(),
    slowReaderMs: z.number().int().min(1).optional(),
    keptResultTtlMs: durationMs.optional(),
    maxFileSize: count.nullable().optional(),
    cacheDir: z.string().min(1).optional(),
    allowedPaths: z.array(z.string()).optional(),
    rootPath: z
      .string()
      .regex(/^(\/[^/?#]+)*$/, "rootPath must look like /a/b with no trailing slash")
      .optional(),
    allowedOrigins: z.array(z.string()).optional(),
    trustProxy: z
      .union([
        z.literal(false),
        z.array(
          z
            .string()
            .refine(
              isProxyAddress,
              'trustProxy entries are IP addresses, CIDR ranges, "loopback", "linklocal" or "uniquelocal"',
            ),
        ),
      ])
      .optional(),
    logLevel: z.union([z.enum(["fatal", "error", "warn", "info", "debug", "trace"]), z.literal(false)]).optional(),
    quiet: z.boolean().optional(),
    auth: z
      .union([
        z.array(z.tuple([z.string().min(1), z.string()])).min(1, "auth needs at least one [username, password] pair"),
        z.custom<(u: string, p: string) => boolean>((v) => typeof v === "function", "auth must be pairs or a function"),
      ])
      .optional(),
    authMessage: z.string().optional(),
    fileTtlMs: z.number().int().min(1000).optional(),
    handleSignals: z.boolean().optional(),
    metrics: z.boolean().optional(),
    workerThreads: count.optional(),
    workerAbortGraceMs: durationMs.optional(),
    legacyInputsAt: z.enum(["join", "start"]).optional(),
    legacyDataTimeoutMs: count.optional(),
  })
  .strict();

/** Default of `maxConnectionBufferBytes`: a few results of a usual size, unread. */
const DEFAULT_CONNECTION_BUFFER_BYTES = 4 * 1024 * 1024;
/** Default of `maxServerBufferBytes`. */
const DEFAULT_SERVER_BUFFER_BYTES = 256 * 1024 * 1024;

/** Validates and fills in {@link LaunchOptions}. `concurrencyCount` raises `maxThreads`. */
export function resolveLaunchOptions(options: LaunchOptions = {}, concurrencyCount = 1): ResolvedLaunchOptions {
  const o = parse(launchSchema, options, "launch()");
  const maxConnectionBufferBytes = o.maxConnectionBufferBytes ?? DEFAULT_CONNECTION_BUFFER_BYTES;
  const maxServerBufferBytes = o.maxServerBufferBytes ?? DEFAULT_SERVER_BUFFER_BYTES;
  if (maxServerBufferBytes < maxConnectionBufferBytes) {
    throw new UsherError(
      "INVALID_OPTIONS",
      "Invalid options for launch(): maxServerBufferBytes must be at least maxConnectionBufferBytes",
    );
  }
  return {
    port: o.port ?? 7860,
    host: o.host ?? "127.0.0.1",
    maxThreads: Math.max(o.maxThreads ?? 40, concurrencyCount),
    showError: o.showError ?? false,
    sessionGraceMs: o.sessionGraceMs ?? 5000,
    heartbeatMs: o.heartbeatMs ?? 15_000,
    maxBodyBytes: o.maxBodyBytes ?? 10 * 1024 * 1024,
    maxConnectionBufferBytes,
    maxServerBufferBytes,
    slowReaderMs: o.slowReaderMs ?? 10_000,
    keptResultTtlMs: o.keptResultTtlMs ?? 60_000,
    maxFileSize: o.maxFileSize === undefined ? 100 * 1024 * 1024 : o.maxFileSize,
    cacheDir: o.cacheDir ?? join(tmpdir(), "usher"),
    allowedPaths: o.allowedPaths ?? [],
    rootPath: o.rootPath ?? "",
    allowedOrigins: o.allowedOrigins ?? [],
    trustProxy: o.trustProxy ?? ["loopback"],
    logLevel: o.logLevel ?? "info",
    quiet: o.quiet ?? false,
    // The schema checked the shape; keep the caller's own value (zod would copy a function's pairs).
    auth: options.auth ?? null,
    authMessage: o.authMessage ?? null,
    fileTtlMs: o.fileTtlMs ?? 60 * 60 * 1000,
    handleSignals: o.handleSignals ?? true,
    metrics: o.metrics ?? true,
    workerThreads: o.workerThreads ?? availableParallelism(),
    workerAbortGraceMs: o.workerAbortGraceMs ?? 3000,
    legacyInputsAt: o.legacyInputsAt ?? "join",
    legacyDataTimeoutMs: o.legacyDataTimeoutMs ?? 5000,
  };
}

// ---------------------------------------------------------------------------------------------
// event listeners (click / submit / change) and Interface

/** Queue-related options of one event listener (Gradio's per-event arguments). */
export interface EventQueueOptions {
  /** Endpoint name in the API (`/predict`); false hides it from the API. Default: the function's name. */
  apiName?: string | false;
  /** Route this event through the queue. Default true. */
  queue?: boolean;
  /** The function takes lists of inputs and returns lists of outputs. Default false. */
  batch?: boolean;
  /** Most events per batch. Default 4. */
  maxBatchSize?: number;
  /** Own pool with this many slots (null: unlimited). Default: the shared pool of concurrencyCount. */
  concurrencyLimit?: number | null;
  /** Share a pool with other events of the same id. */
  concurrencyId?: string;
  /** What the page shows while it runs. Default "full". */
  showProgress?: "full" | "minimal" | "hidden";
  /** Expected duration of one call (one batch), ms, to seed ETAs before the first run. */
  expectedDurationMs?: number;
  /** End a call that runs longer than this with a timeout error. Default: no limit. */
  timeoutMs?: number;
}

/** {@link EventQueueOptions} with defaults applied. */
export interface ResolvedEventQueueOptions {
  readonly apiName: string | false | undefined;
  readonly queue: boolean;
  readonly batch: boolean;
  readonly maxBatchSize: number;
  readonly concurrencyLimit: number | null | undefined;
  readonly concurrencyId: string | undefined;
  readonly showProgress: "full" | "minimal" | "hidden";
  readonly expectedDurationMs: number | undefined;
  readonly timeoutMs: number | undefined;
}

/** The schema of {@link EventQueueOptions}, for listeners that add their own fields with `.extend`. */
export const eventQueueSchema = z.object({
  apiName: z
    .union([z.string().regex(/^[A-Za-z0-9_-]+$/, "apiName may use letters, digits, _ and -"), z.literal(false)])
    .optional(),
  queue: z.boolean().optional(),
  batch: z.boolean().optional(),
  maxBatchSize: count.optional(),
  concurrencyLimit: count.nullable().optional(),
  concurrencyId: z.string().min(1).optional(),
  showProgress: z.enum(["full", "minimal", "hidden"]).optional(),
  expectedDurationMs: durationMs.optional(),
  timeoutMs: count.optional(),
});

/** Validates and fills in {@link EventQueueOptions}; `where` names the caller in error messages. */
export function resolveEventQueueOptions(options: EventQueueOptions, where: string): ResolvedEventQueueOptions {
  const o = parse(eventQueueSchema.passthrough(), options, where);
  return {
    apiName: o.apiName,
    queue: o.queue ?? true,
    batch: o.batch ?? false,
    maxBatchSize: o.maxBatchSize ?? 4,
    concurrencyLimit: o.concurrencyLimit,
    concurrencyId: o.concurrencyId,
    showProgress: o.showProgress ?? "full",
    expectedDurationMs: o.expectedDurationMs,
    timeoutMs: o.timeoutMs,
  };
}

export { parse };
