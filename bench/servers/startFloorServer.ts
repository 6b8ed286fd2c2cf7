/**
 * The floor: the cheapest server that still speaks Gradio's sse_v3 well enough for the load
 * generator and for `@gradio/client`. Bare `node:http`, no framework, no queue: a join runs the
 * function at once (or, when the scenario asks for it, behind a bare FIFO semaphore of
 * `concurrencyCount` with a `maxSize` refusal), and the session's stream carries
 * `process_starts`, `process_generating` (full value, then `append`/`replace` diffs),
 * `process_completed` and `close_stream`. No ranks, no ETA, no heartbeats, no cancel. Gradio 3.x's
 * per-event queue socket too (`floorLegacySocket.ts`), for the WebSocket figures.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { attachFloorLegacySocket } from "./floorLegacySocket.ts";
import { makeScenarioFunction } from "./scenarioFunctions.ts";
import type { RunningServer, StartOptions } from "./serveChild.ts";
import type { ServerSpec } from "./ServerSpec.ts";

const PREFIX = "/gradio_api";
const CLOSE_STREAM = `data: {"msg":"close_stream","event_id":null}\n\n`;
const SSE_HEADERS = { "content-type": "text/event-stream", "cache-control": "no-cache" } as const;

interface Session {
  readonly hash: string;
  readonly pending: Set<string>;
  /** Frames sent before the session's stream connected. */
  buffer: string;
  stream: http.ServerResponse | null;
}

/** Starts the floor server for `spec` (by default on 127.0.0.1, any free port). */
export async function startFloorServer(spec: ServerSpec, options: StartOptions = {}): Promise<RunningServer> {
  const { host = "127.0.0.1", port = 0 } = options;
  const fn = makeScenarioFunction(spec.fn, options.onCall);
  const limited = spec.floorLimitsConcurrency === true;
  const sessions = new Map<string, Session>();
  let nextEventId = 0;

  // Bare FIFO semaphore, used only when `limited`.
  let running = 0;
  const waiters: (() => void)[] = [];
  let waitHead = 0;
  const waiting = (): number => waiters.length - waitHead;
  const acquire = (): Promise<void> | null => {
    if (running < spec.concurrencyCount) {
      running++;
      return null;
    }
    return new Promise((resolve) => waiters.push(resolve));
  };
  const release = (): void => {
    const next = waiters[waitHead];
    if (next === undefined) {
      running--;
      return;
    }
    waiters[waitHead++] = noop;
    if (waitHead > 1024 && waitHead * 2 > waiters.length) {
      waiters.splice(0, waitHead);
      waitHead = 0;
    }
    next();
  };

  const send = (session: Session, message: object): void => {
    const frame = `data: ${JSON.stringify(message)}\n\n`;
    if (session.stream !== null) session.stream.write(frame);
    else session.buffer += frame;
  };
  const closeIfIdle = (session: Session): void => {
    if (session.pending.size > 0 || session.stream === null) return;
    session.stream.end(CLOSE_STREAM);
    session.stream = null;
    sessions.delete(session.hash);
  };
  const complete = (session: Session, eventId: string, message: object): void => {
    send(session, message);
    session.pending.delete(eventId);
    closeIfIdle(session);
  };

  const run = async (session: Session, eventId: string, input: string): Promise<void> => {
    if (limited) await acquire();
    const startMs = performance.now();
    try {
      send(session, { msg: "process_starts", event_id: eventId, eta: null });
      let value: unknown;
      if (fn.kind === "single") {
        value = await fn.fn(input);
      } else if (fn.kind === "batch") {
        value = (await fn.fn([input]))[0][0];
      } else {
        let previous: string | null = null;
        for await (const text of fn.fn(input)) {
          send(session, {
            msg: "process_generating",
            event_id: eventId,
            output: { data: [previous === null ? text : diff(previous, text)], is_generating: true },
            success: true,
          });
          previous = text;
        }
        value = previous;
      }
      const durationS = (performance.now() - startMs) / 1000;
      complete(session, eventId, {
        msg: "process_completed",
        event_id: eventId,
        output: { data: [value], is_generating: false, duration: durationS, average_duration: null },
        success: true,
      });
    } catch {
      complete(session, eventId, {
        msg: "process_completed",
        event_id: eventId,
        output: { error: null },
        success: false,
      });
    } finally {
      if (limited) release();
    }
  };

  const join = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (body += chunk));
    req.on("end", () => {
      let parsed: { data?: unknown; session_hash?: unknown };
      try {
        parsed = JSON.parse(body) as typeof parsed;
      } catch {
        return json(res, 400, { detail: "Bad request." });
      }
      const hash = parsed.session_hash;
      if (typeof hash !== "string" || hash === "") return json(res, 400, { detail: "Session hash not found." });
      if (limited && spec.maxSize !== null && waiting() >= spec.maxSize) {
        return json(res, 503, { detail: `Queue is full. Max size is ${spec.maxSize} and size is ${waiting()}.` });
      }
      let session = sessions.get(hash);
      if (session === undefined) {
        session = { hash, pending: new Set(), buffer: "", stream: null };
        sessions.set(hash, session);
      }
      const eventId = (++nextEventId).toString(16).padStart(32, "0");
      session.pending.add(eventId);
      json(res, 200, { event_id: eventId });
      const input = Array.isArray(parsed.data) ? parsed.data[0] : undefined;
      void run(session, eventId, typeof input === "string" ? input : String(input));
    });
  };

  const data = (url: string, res: http.ServerResponse): void => {
    const hash = new URLSearchParams(url.slice(url.indexOf("?") + 1)).get("session_hash") ?? "";
    const session = sessions.get(hash);
    res.writeHead(200, SSE_HEADERS);
    if (session === undefined) {
      res.end(
        `data: ${JSON.stringify({ msg: "unexpected_error", event_id: null, message: "404: Not Found", session_not_found: true, success: false })}\n\n`,
      );
      return;
    }
    session.stream?.end();
    session.stream = res;
    const buffered = session.buffer;
    session.buffer = "";
    if (session.pending.size === 0) {
      res.end(buffered + CLOSE_STREAM);
      session.stream = null;
      sessions.delete(session.hash);
      return;
    }
    if (buffered !== "") res.write(buffered);
    res.on("close", () => {
      if (session.stream === res) session.stream = null;
    });
  };

  const config = JSON.stringify(configFor(spec));
  const info = JSON.stringify(INFO);
  const server = http.createServer((req, res) => {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q === -1 ? url : url.slice(0, q);
    if (req.method === "POST" && path === `${PREFIX}/queue/join`) return join(req, res);
    if (req.method === "GET" && path === `${PREFIX}/queue/data`) return data(url, res);
    if (req.method === "GET" && (path === "/config" || path === "/config/")) return raw(res, 200, config);
    if (req.method === "GET" && path === `${PREFIX}/info`) return raw(res, 200, info);
    req.resume();
    json(res, 404, { detail: "Not Found" });
  });
  attachFloorLegacySocket(server, fn);
  server.keepAliveTimeout = 60_000;
  server.headersTimeout = 61_000;
  server.requestTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${address.address}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A Gradio sse_v2+ diff from one streamed string to the next. */
function diff(previous: string, next: string): unknown[] {
  return next.startsWith(previous) ? [["append", [], next.slice(previous.length)]] : [["replace", [], next]];
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  raw(res, status, JSON.stringify(body));
}

function raw(res: http.ServerResponse, status: number, body: string): void {
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

function noop(): void {}

/** The smallest config `@gradio/client` accepts for one text → text endpoint named "predict". */
function configFor(spec: ServerSpec): object {
  const batch = spec.fn.kind === "batch";
  return {
    version: "6.25.0",
    mode: "interface",
    protocol: "sse_v3",
    api_prefix: PREFIX,
    app_id: 1,
    enable_queue: true,
    connect_heartbeat: false,
    show_error: false,
    components: [
      { id: 1, type: "textbox", props: { label: "input", value: "" } },
      { id: 2, type: "textbox", props: { label: "output", value: "" } },
    ],
    dependencies: [
      {
        id: 0,
        targets: [[1, "submit"]],
        inputs: [1],
        outputs: [2],
        backend_fn: true,
        queue: true,
        api_name: "predict",
        api_visibility: "public",
        connection: "sse",
        batch,
        max_batch_size: spec.fn.kind === "batch" ? spec.fn.maxBatchSize : 4,
        types: { generator: spec.fn.kind === "stream", cancel: false },
      },
    ],
  };
}

const TEXT = { type: { type: "string" }, python_type: { type: "str", description: "" }, component: "Textbox" };
const INFO = {
  named_endpoints: {
    "/predict": {
      parameters: [
        { label: "input", parameter_name: "x", parameter_has_default: false, parameter_default: null, ...TEXT },
      ],
      returns: [{ label: "output", ...TEXT }],
      api_visibility: "public",
    },
  },
  unnamed_endpoints: {},
};
