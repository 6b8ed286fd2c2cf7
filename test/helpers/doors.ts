/**
 * Clients of every door of a running app that read a refusal in each transport's shape (see
 * test/server/doors.test.ts): `{detail}` with an HTTP status and `Retry-After`, a `join_error`
 * frame, a refused upgrade, or Gradio 3.x's `{error}` message and close code.
 */
import { request } from "node:http";
import assert from "node:assert/strict";
import WebSocket from "ws";
import { ERROR_CODES, type ErrorCode } from "../../src/errors.ts";
import { TestSocket, wsUrl, type Frame } from "./wsClient.ts";

/** What an HTTP-shaped door answered: status, `detail` and `Retry-After` (a join_error carries the same). */
export interface Answer {
  readonly status: number;
  readonly detail: unknown;
  readonly retryAfter: string | null;
}

/** What Gradio 3.x's socket answered: the `{error}` of its last message and the close code. */
export interface LegacyAnswer {
  readonly error: unknown;
  readonly closeCode: number;
}

/** A 3.x answer with every frame the socket got. */
export interface LegacyReply extends LegacyAnswer {
  readonly frames: Frame[];
}

/** The answer every HTTP-shaped door must give for `code` with `message`. */
export function expected(code: ErrorCode, message: unknown, retryAfter: string | null = null): Answer {
  return { status: ERROR_CODES[code].status, detail: message, retryAfter };
}

export type Headers = Record<string, string>;

/** POSTs `body` (JSON, or a string as is) and reads the answer's status, `detail` and `Retry-After`. */
export function postJson(
  url: string,
  body: unknown,
  headers: Headers = {},
  type = "application/json",
): Promise<Answer> {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const length = Buffer.byteLength(text);
    const all = { "content-type": type, "content-length": length, ...headers };
    const req = request(url, { method: "POST", agent: false, headers: all });
    req.on("response", (res) => {
      let out = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (out += c));
      res.on("end", () => {
        resolve({ status: res.statusCode ?? 0, detail: detailOf(out), retryAfter: res.headers["retry-after"] ?? null });
      });
    });
    req.on("error", reject);
    req.end(text);
  });
}

function detailOf(json: string): unknown {
  return (JSON.parse(json) as { detail?: unknown }).detail;
}

/** The doors of one running app. */
export function doorsOf(url: string) {
  const P = `${url}/gradio_api`;
  return {
    /** POST /queue/join as the fast lane takes it (plain `application/json`). */
    joinLane: (body: unknown, headers?: Headers) => postJson(`${P}/queue/join`, body, headers),
    /** The same join through Fastify's route (a content type the lane leaves to it). */
    joinRoute: (body: unknown, headers?: Headers) =>
      postJson(`${P}/queue/join`, body, headers, "application/json; charset=UTF-8"),
    call: (name: string, body: unknown, headers?: Headers) => postJson(`${P}/call/${name}`, body, headers),
    run: (name: string, body: unknown, headers?: Headers, path = `${P}/run`) =>
      postJson(`${path}/${name}`, body, headers),
    /** A join frame over the multiplexed socket of `session`: its `join_error` as an Answer. */
    async ws(frame: unknown, session = "door-ws", headers: Headers = {}): Promise<Answer> {
      const s = new TestSocket(wsUrl(url, `/gradio_api/queue/ws?session_hash=${session}`), { headers });
      await s.next((f) => f["msg"] === "hello");
      s.send(frame);
      const f = await s.next((m) => m["msg"] === "join_error" || m["msg"] === "joined");
      s.close();
      assert.equal(f["msg"], "join_error", JSON.stringify(f));
      const retryAfter = f["retry_after"] === undefined ? null : String(f["retry_after"]);
      return { status: f["status"], detail: f["detail"], retryAfter };
    },
    /** A refused upgrade of the multiplexed socket: its HTTP status and `{detail}`. */
    wsRefused(session: string, headers: Headers = {}): Promise<Answer> {
      return new Promise((resolve, reject) => {
        const ws = new WebSocket(wsUrl(url, `/gradio_api/queue/ws?session_hash=${session}`), { headers });
        ws.on("open", () => reject(new Error("the upgrade was accepted")));
        ws.on("error", () => undefined);
        ws.on("unexpected-response", (_req, res) => {
          let out = "";
          res.setEncoding("utf8");
          res.on("data", (c: string) => (out += c));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, detail: detailOf(out), retryAfter: null }));
        });
      });
    },
    /** Gradio 3.x: the hash frame, then (when `data` is given) the inputs at `send_data`. */
    async legacy(hashFrame: unknown, data?: unknown, headers: Headers = {}): Promise<LegacyReply> {
      const s = new TestSocket(wsUrl(url, "/queue/join"), { headers });
      await s.next((f) => f["msg"] === "send_hash");
      s.send(hashFrame);
      if (data !== undefined) {
        await s.next((f) => f["msg"] === "send_data");
        s.send(typeof data === "string" ? data : { data, event_data: null, fn_index: 0, session_hash: "door-3x" });
      }
      const { code } = await s.closed;
      const last = s.frames.at(-1);
      return { error: last?.["output"]?.["error"], closeCode: code, frames: s.frames };
    },
  };
}
