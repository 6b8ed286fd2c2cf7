import WebSocket, { type ClientOptions } from "ws";

/** A parsed server frame. */
export type Frame = Record<string, any>;

/** A test client over one WebSocket: records every frame and waits for the ones a test needs. */
export class TestSocket {
  readonly ws: WebSocket;
  readonly frames: Frame[] = [];
  /** Resolves with the close code and reason. */
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly #waiters: { pred: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];
  #seen = 0;

  constructor(url: string, options: ClientOptions = {}) {
    this.ws = new WebSocket(url, options);
    this.ws.on("message", (data, isBinary) => {
      if (isBinary) return;
      const text = data.toString();
      const frame = text === "" ? {} : (JSON.parse(text) as Frame);
      this.frames.push(frame);
      for (let i = 0; i < this.#waiters.length; i++) {
        const w = this.#waiters[i]!;
        if (w.pred(frame)) {
          this.#waiters.splice(i, 1);
          w.resolve(frame);
          break;
        }
      }
    });
    this.ws.on("error", () => undefined);
    this.closed = new Promise((resolve) =>
      this.ws.once("close", (code, reason) => resolve({ code, reason: reason.toString() })),
    );
  }

  /** Resolves once open (rejects if the handshake is refused). */
  opened(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.ws.readyState === WebSocket.OPEN) return resolve();
      this.ws.once("open", () => resolve());
      this.ws.once("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      this.ws.once("error", reject);
    });
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  /** The first frame (already received or future) matching `pred` that no earlier `next` took. */
  next(pred: (f: Frame) => boolean, timeoutMs = 5000): Promise<Frame> {
    for (let i = this.#seen; i < this.frames.length; i++) {
      const f = this.frames[i]!;
      if (pred(f)) return Promise.resolve(f);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(this.frames.slice(-5))}`)),
        timeoutMs,
      );
      this.#waiters.push({
        pred,
        resolve: (f) => {
          clearTimeout(timer);
          resolve(f);
        },
      });
    });
  }

  /** Frames of one event, in order. */
  of(eventId: string): Frame[] {
    return this.frames.filter((f) => f["event_id"] === eventId);
  }

  close(): void {
    this.ws.close();
  }
}

/** `ws://…` of an app URL plus `path`. */
export function wsUrl(appUrl: string, path: string): string {
  return appUrl.replace(/^http/, "ws") + path;
}

/** Opens the multiplexed queue socket of a session. */
export async function queueSocket(
  appUrl: string,
  sessionHash?: string,
  options: ClientOptions = {},
): Promise<TestSocket> {
  const q = sessionHash === undefined ? "" : `?session_hash=${encodeURIComponent(sessionHash)}`;
  const s = new TestSocket(wsUrl(appUrl, `/gradio_api/queue/ws${q}`), options);
  await s.opened();
  await s.next((f) => f["msg"] === "hello");
  return s;
}

/** Joins over a queue socket and returns the `joined` or `join_error` frame. */
export async function join(s: TestSocket, ref: string | number, fnIndex: number, data: unknown[]): Promise<Frame> {
  s.send({ type: "join", ref, fn_index: fnIndex, data });
  return s.next((f) => (f["msg"] === "joined" || f["msg"] === "join_error") && f["ref"] === ref);
}

/** Waits for the terminal message of an event. */
export function completed(s: TestSocket, eventId: string, timeoutMs = 5000): Promise<Frame> {
  return s.next((f) => f["msg"] === "process_completed" && f["event_id"] === eventId, timeoutMs);
}
