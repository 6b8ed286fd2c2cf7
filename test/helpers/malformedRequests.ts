/**
 * Randomized malformed HTTP requests for every route (fast-check arbitraries), and a small client
 * that sends raw requests (so bodies may be invalid UTF-8 and paths keep their `..`). Shared by
 * test/server/fuzz.test.ts and bench/scenarios/fuzzMemory.ts.
 */
import { Agent, request } from "node:http";
import fc from "fast-check";

/** One raw request. */
export interface RawRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: Buffer | undefined;
}

/** What came back (the body only for non-streams; a stream is cut after its headers). */
export interface RawResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

const P = "/gradio_api";
const JSON_TYPE = { "content-type": "application/json" };

/** JSON text nested `depth` levels deep (arrays or objects). */
function deep(depth: number, kind: "array" | "object"): string {
  return kind === "array"
    ? "[".repeat(depth) + "1" + "]".repeat(depth)
    : '{"a":'.repeat(depth) + "1" + "}".repeat(depth);
}

/** Values that tend to break parsers and validators. */
const nasty = fc.oneof(
  fc.constantFrom(
    "1e999999",
    "-1e999999",
    "9".repeat(400),
    "NaN",
    "Infinity",
    "-0",
    "1.7976931348623157e309",
    '"\\ud800"',
    '"\\u0000"',
    "null",
    "true",
    '"__proto__"',
    '{"__proto__":{"polluted":1}}',
    '{"constructor":{"prototype":{"polluted":1}}}',
  ),
  fc.integer({ min: 1, max: 5000 }).map((d) => deep(d, "array")),
  fc.integer({ min: 1, max: 5000 }).map((d) => deep(d, "object")),
);

/** A JSON value as text: random JSON, a nasty literal, or a predict body with nasty fields. */
const jsonText = fc.oneof(
  fc.jsonValue({ maxDepth: 6 }).map((v) => JSON.stringify(v)),
  nasty,
  fc
    .record(
      {
        data: fc.oneof(
          fc.jsonValue({ maxDepth: 4 }),
          fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 5 }),
          nasty.map((n) => ({ raw: n })),
        ),
        fn_index: fc.oneof(fc.integer(), fc.double(), fc.string(), fc.constant(2 ** 60), fc.constant(null)),
        session_hash: fc.oneof(
          fc.string({ maxLength: 300 }),
          fc.integer(),
          fc.constant(null),
          fc.constant("x".repeat(10_000)),
        ),
        event_id: fc.oneof(fc.string(), fc.integer()),
        event_data: fc.jsonValue({ maxDepth: 3 }),
        trigger_id: fc.oneof(fc.integer(), fc.string()),
      },
      { requiredKeys: [] },
    )
    .map((o) => {
      // A `raw` marker inlines nasty JSON text (huge numbers, deep nesting) into the body.
      const d = o.data as { raw?: string } | undefined;
      if (d !== null && typeof d === "object" && !Array.isArray(d) && typeof d.raw === "string") {
        return JSON.stringify({ ...o, data: "@RAW@" }).replace('"@RAW@"', d.raw);
      }
      return JSON.stringify(o);
    }),
);

/** A body: JSON text, broken JSON, invalid UTF-8 bytes, or nothing. */
const body = fc.oneof(
  { weight: 4, arbitrary: jsonText.map((t) => Buffer.from(t)) },
  {
    weight: 2,
    arbitrary: jsonText.chain((t) => fc.nat({ max: Math.max(0, t.length - 1) }).map((n) => Buffer.from(t.slice(0, n)))),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }).map((s) => Buffer.from(s)) },
  {
    weight: 2,
    arbitrary: fc
      .uint8Array({ maxLength: 300 })
      .map((b) =>
        Buffer.concat([
          Buffer.from('{"data":["'),
          Buffer.from(b),
          Buffer.from([0xc3, 0x28, 0xff, 0xfe]),
          Buffer.from('"]}'),
        ]),
      ),
  },
  { weight: 1, arbitrary: fc.constant(Buffer.alloc(0)) },
);

const contentType = fc.constantFrom(
  "application/json",
  "application/json",
  "application/json; charset=latin1",
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data",
  "multipart/form-data; boundary=",
  "application/octet-stream",
  "",
);

/** A path segment that tries to climb out or confuse decoding. */
const evilSegment = fc.oneof(
  fc.constantFrom(
    "..",
    "%2e%2e",
    "%2E%2E%2F",
    "..%2f",
    "%252e%252e",
    "..\\..",
    "%00",
    "%",
    "%zz",
    "%c0%ae%c0%ae",
    "etc",
    "passwd",
    "/etc/passwd",
    "/proc/self/environ",
    "~",
    "//",
    "%2f",
  ),
  fc.string({ maxLength: 20 }).map(encodeURIComponent),
);
const evilPath = fc.array(evilSegment, { minLength: 1, maxLength: 8 }).map((s) => s.join("/"));

/** Upload file names: traversal, NULs, control characters, huge, empty. */
const evilFileName = fc.oneof(
  fc.constantFrom(
    "../../../../tmp/usher-pwned.txt",
    "..\\..\\..\\evil.txt",
    "/etc/passwd",
    "a\u0000b.txt",
    "..",
    ".",
    "",
    "con",
    " ",
    "\r\n.txt",
    "%2e%2e%2fx",
  ),
  fc.string({ maxLength: 300 }),
  fc.constant("x".repeat(5000)),
);

/** A multipart upload, sometimes beyond `maxFileSize`, sometimes broken. */
function upload(maxFileSize: number): fc.Arbitrary<RawRequest> {
  return fc
    .record({
      name: evilFileName,
      field: fc.constantFrom("files", "files", "file", ""),
      size: fc.oneof(fc.nat({ max: maxFileSize }), fc.integer({ min: maxFileSize + 1, max: maxFileSize * 4 })),
      truncate: fc.boolean(),
      query: fc.constantFrom("", "?upload_id=x", "?upload_id=" + "%".repeat(10)),
    })
    .map(({ name, field, size, truncate, query }) => {
      const boundary = "----usherfuzz";
      const head = Buffer.from(
        `--${boundary}\r\ncontent-disposition: form-data; name="${field}"; filename="${name.replace(/["\r\n]/g, "_")}"\r\n` +
          "content-type: application/octet-stream\r\n\r\n",
      );
      const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
      const full = Buffer.concat([head, Buffer.alloc(size, 0x61), tail]);
      return {
        method: "POST",
        path: `${P}/upload${query}`,
        headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
        body: truncate ? full.subarray(0, Math.floor(full.length / 2)) : full,
      };
    });
}

/** Every route with malformed input; `maxFileSize` is the server's. */
export function malformedRequest(maxFileSize: number): fc.Arbitrary<RawRequest> {
  const postTo = (path: fc.Arbitrary<string>): fc.Arbitrary<RawRequest> =>
    fc.record({ path, body, type: contentType }).map(
      ({ path, body, type }): RawRequest => ({
        method: "POST",
        path,
        headers: type === "" ? {} : { "content-type": type },
        body,
      }),
    );
  const get = (path: fc.Arbitrary<string>): fc.Arbitrary<RawRequest> =>
    path.map((p) => ({ method: "GET", path: p, headers: {}, body: undefined }));
  const name = fc.oneof(
    fc.constantFrom("predict", "nope", "", "..", "%2e%2e", "predict/..", "a".repeat(300)),
    fc.string({ maxLength: 30 }).map(encodeURIComponent),
  );
  const query = fc.string({ maxLength: 50 }).map(encodeURIComponent);
  return fc.oneof(
    postTo(fc.constant(`${P}/queue/join`)),
    postTo(name.map((n) => `${P}/run/${n}`)),
    postTo(name.map((n) => `${P}/api/${n}`)),
    postTo(name.map((n) => `${P}/call/${n}`)),
    postTo(fc.constantFrom(`${P}/cancel`, `${P}/reset`, "/login", `${P}/upload`)),
    upload(maxFileSize),
    get(evilPath.map((p) => `${P}/file=${p}`)),
    get(evilPath.map((p) => `${P}/file/${p}`)),
    get(fc.tuple(name, query).map(([n, q]) => `${P}/call/${n}/${q}`)),
    get(query.map((q) => `${P}/queue/data?session_hash=${q}`)),
    get(
      fc.constantFrom(
        "/config",
        "/config/",
        `${P}/info`,
        `${P}/info?all_endpoints=true`,
        `${P}/app_id`,
        `${P}/queue/status`,
        "/",
        "/metrics",
      ),
    ),
    get(fc.tuple(fc.constantFrom("/assets/", "/", `${P}/`), evilPath).map(([a, b]) => a + b)),
    fc
      .record({
        method: fc.constantFrom("PUT", "DELETE", "PATCH", "OPTIONS"),
        path: fc.constantFrom(`${P}/queue/join`, "/config", `${P}/upload`),
      })
      .map(({ method, path }) => ({ method, path, headers: JSON_TYPE, body: Buffer.from("{}") })),
  );
}

/** Sends raw requests over a keep-alive pool; `stream` responses are cut after their headers. */
export class RawClient {
  readonly #agent: Agent;
  readonly #host: string;
  readonly #port: number;

  constructor(url: string, sockets = 16) {
    const u = new URL(url);
    this.#host = u.hostname;
    this.#port = Number(u.port);
    this.#agent = new Agent({ keepAlive: true, maxSockets: sockets });
  }

  send(r: RawRequest): Promise<RawResponse> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = { ...r.headers };
      if (r.body !== undefined) headers["content-length"] = r.body.length;
      const req = request(
        { host: this.#host, port: this.#port, method: r.method, path: r.path, headers, agent: this.#agent },
        (res) => {
          const contentType = String(res.headers["content-type"] ?? "");
          if (contentType.startsWith("text/event-stream")) {
            res.destroy();
            resolve({ status: res.statusCode ?? 0, contentType, body: "" });
            return;
          }
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () =>
            resolve({ status: res.statusCode ?? 0, contentType, body: Buffer.concat(chunks).toString("utf8") }),
          );
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(r.body);
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

/** Why a response breaks the rule (a 5xx, or a 4xx without a JSON `detail`), or null. */
export function ruleBroken(res: RawResponse): string | null {
  if (res.status >= 500) return `status ${res.status}: ${res.body.slice(0, 200)}`;
  if (res.status >= 400) {
    try {
      const j = JSON.parse(res.body) as unknown;
      if (typeof j !== "object" || j === null || !("detail" in j))
        return `${res.status} without detail: ${res.body.slice(0, 200)}`;
    } catch {
      return `${res.status} not JSON: ${res.body.slice(0, 200)}`;
    }
  }
  return null;
}

/** Sends `requests` with `concurrency` in flight; resolves with every broken rule found. */
export async function sendAll(
  client: RawClient,
  requests: readonly RawRequest[],
  concurrency = 16,
): Promise<{ req: RawRequest; why: string }[]> {
  const broken: { req: RawRequest; why: string }[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < requests.length) {
      const req = requests[next++] as RawRequest;
      let why: string | null;
      try {
        why = ruleBroken(await client.send(req));
      } catch (err) {
        // The server may close a connection on a body it refuses mid-stream; that is a refusal,
        // not a crash. A crash shows up as every later request failing (the test checks health).
        why =
          (err as NodeJS.ErrnoException).code === "ECONNRESET" || (err as NodeJS.ErrnoException).code === "EPIPE"
            ? null
            : String(err);
      }
      if (why !== null) broken.push({ req, why });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return broken;
}
