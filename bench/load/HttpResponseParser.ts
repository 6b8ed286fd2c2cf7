/**
 * Incremental parser for one HTTP/1.1 response at a time (no pipelining): status line and
 * headers, then a body framed by `content-length`, by `transfer-encoding: chunked`, or by the
 * connection closing. Bytes may arrive split anywhere. Enough for the load generator's own
 * servers (the floor on node:http, Usher on Fastify); not a general-purpose HTTP parser.
 */

/** What a response's head said. */
export interface ResponseHead {
  readonly status: number;
  /** The server will close the connection after this response. */
  readonly close: boolean;
  /** The `Retry-After` header's value, if any (a refusal's advice, in seconds). */
  readonly retryAfter: string | null;
}

/** Callbacks of {@link HttpResponseParser}. */
export interface ResponseEvents {
  head(head: ResponseHead): void;
  body(chunk: Buffer): void;
  /** The response is complete; the parser is ready for the next one. */
  end(): void;
}

type State = "head" | "length" | "chunk-size" | "chunk-data" | "chunk-crlf" | "trailers" | "until-close" | "idle";

const CRLF = Buffer.from("\r\n");
const HEAD_END = Buffer.from("\r\n\r\n");
const MAX_LINE_BYTES = 64 * 1024;

/** Parses responses on one connection, one after another. */
export class HttpResponseParser {
  readonly #events: ResponseEvents;
  #state: State = "idle";
  /** Bytes of an unfinished head or chunk-size/trailer line. */
  #carry: Buffer | null = null;
  #remaining = 0;
  #close = false;

  constructor(events: ResponseEvents) {
    this.#events = events;
  }

  /** Expects a new response (call before sending each request). */
  expect(): void {
    this.#state = "head";
    this.#carry = null;
    this.#remaining = 0;
    this.#close = false;
  }

  /** True while a response is expected or being read. */
  get busy(): boolean {
    return this.#state !== "idle";
  }

  /** Feeds bytes from the socket. Throws on a malformed response. */
  push(input: Buffer): void {
    let buf = input;
    if (this.#carry !== null) {
      buf = Buffer.concat([this.#carry, buf]);
      this.#carry = null;
    }
    let pos = 0;
    while (pos < buf.length) {
      switch (this.#state) {
        case "idle":
          throw new Error(`unexpected ${buf.length - pos} bytes between responses`);
        case "head": {
          const at = buf.indexOf(HEAD_END, pos);
          if (at === -1) return this.#keep(buf, pos);
          this.#head(buf.toString("latin1", pos, at));
          pos = at + 4;
          break;
        }
        case "length": {
          const n = Math.min(this.#remaining, buf.length - pos);
          this.#events.body(buf.subarray(pos, pos + n));
          pos += n;
          this.#remaining -= n;
          if (this.#remaining === 0) this.#finish();
          break;
        }
        case "until-close":
          this.#events.body(buf.subarray(pos));
          return;
        case "chunk-size": {
          const at = buf.indexOf(CRLF, pos);
          if (at === -1) return this.#keep(buf, pos);
          const line = buf.toString("latin1", pos, at);
          const size = Number.parseInt(line.split(";", 1)[0] ?? "", 16);
          if (!Number.isFinite(size) || size < 0) throw new Error(`bad chunk size line ${JSON.stringify(line)}`);
          pos = at + 2;
          if (size === 0) {
            this.#state = "trailers";
          } else {
            this.#remaining = size;
            this.#state = "chunk-data";
          }
          break;
        }
        case "chunk-data": {
          const n = Math.min(this.#remaining, buf.length - pos);
          this.#events.body(buf.subarray(pos, pos + n));
          pos += n;
          this.#remaining -= n;
          if (this.#remaining === 0) {
            this.#state = "chunk-crlf";
            this.#remaining = 2;
          }
          break;
        }
        case "chunk-crlf": {
          // Skip the CRLF after a chunk's data, which may itself arrive in two pieces.
          const n = Math.min(this.#remaining, buf.length - pos);
          pos += n;
          this.#remaining -= n;
          if (this.#remaining === 0) this.#state = "chunk-size";
          break;
        }
        case "trailers": {
          const at = buf.indexOf(CRLF, pos);
          if (at === -1) return this.#keep(buf, pos);
          const empty = at === pos;
          pos = at + 2;
          if (empty) this.#finish();
          break;
        }
      }
    }
  }

  /** The connection ended: completes a close-delimited body, or throws if a response was cut short. */
  eof(): void {
    if (this.#state === "until-close") return this.#finish();
    if (this.#state !== "idle") throw new Error(`connection closed mid-response (${this.#state})`);
  }

  #keep(buf: Buffer, pos: number): void {
    if (buf.length - pos > MAX_LINE_BYTES) throw new Error("response head or chunk line too long");
    this.#carry = Buffer.from(buf.subarray(pos));
  }

  #head(text: string): void {
    const lines = text.split("\r\n");
    const statusLine = lines[0] ?? "";
    const match = /^HTTP\/1\.([01]) (\d{3})/.exec(statusLine);
    if (match === null) throw new Error(`bad status line ${JSON.stringify(statusLine)}`);
    const status = Number(match[2]);
    let close = match[1] === "0";
    let length: number | null = null;
    let chunked = false;
    let retryAfter: string | null = null;
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i] as string;
      const colon = line.indexOf(":");
      if (colon === -1) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line
        .slice(colon + 1)
        .trim()
        .toLowerCase();
      if (name === "content-length") length = Number(value);
      else if (name === "transfer-encoding") chunked = value.includes("chunked");
      else if (name === "retry-after") retryAfter = value;
      else if (name === "connection")
        close = value.includes("close") ? true : value.includes("keep-alive") ? false : close;
    }
    if (status >= 100 && status < 200) {
      this.#state = "head"; // informational: the real response follows
      return;
    }
    this.#close = close;
    this.#events.head({ status, close, retryAfter });
    if (status === 204 || status === 304) this.#finish();
    else if (chunked) this.#state = "chunk-size";
    else if (length !== null) {
      this.#remaining = length;
      if (length === 0) this.#finish();
      else this.#state = "length";
    } else this.#state = "until-close";
  }

  #finish(): void {
    this.#state = "idle";
    this.#carry = null;
    this.#events.end();
  }

  /** Whether the last response asked for the connection to be closed. */
  get closeAfter(): boolean {
    return this.#close;
  }
}
