import { request as httpRequest, type IncomingMessage } from "node:http";

/** Options of {@link send}. */
export interface SendOptions {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  /** A JSON body (a string is sent as is). */
  readonly body?: unknown;
  /** The client's address (any 127.x.y.z on Linux), to look like another machine. */
  readonly localAddress?: string;
}

/** A request over node:http (fetch cannot pick its source address) and its whole answer. */
export async function send(
  url: string,
  options: SendOptions = {},
): Promise<{ status: number; json: any; text: string; setCookie: string[] }> {
  const res = await open(url, options);
  let text = "";
  res.setEncoding("utf8");
  for await (const chunk of res) text += chunk as string;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const raw = res.headers["set-cookie"];
  return { status: res.statusCode ?? 0, json, text, setCookie: raw ?? [] };
}

/** Sends a request and resolves with the response as soon as its head arrives. */
export function open(url: string, options: SendOptions = {}): Promise<IncomingMessage> {
  const body =
    options.body === undefined
      ? undefined
      : typeof options.body === "string"
        ? options.body
        : JSON.stringify(options.body);
  const headers: Record<string, string> = {
    ...(body === undefined ? {} : { "content-type": "application/json" }),
    ...options.headers,
  };
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, {
      method: options.method ?? (body === undefined ? "GET" : "POST"),
      headers,
      agent: false,
      ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
    });
    req.on("response", resolve);
    req.on("error", reject);
    req.end(body);
  });
}

/** An open SSE stream read as it comes: every `data:` payload, parsed. */
export class SseStream {
  readonly res: IncomingMessage;
  readonly messages: any[] = [];
  /** Resolves when the server ends the stream. */
  readonly ended: Promise<void>;
  readonly #waiters: { pred: (m: any) => boolean; resolve: (m: any) => void }[] = [];
  #buffer = "";

  constructor(res: IncomingMessage) {
    this.res = res;
    res.setEncoding("utf8");
    res.on("data", (chunk: string) => this.#take(chunk));
    this.ended = new Promise((resolve) => {
      res.once("end", resolve);
      res.once("close", resolve);
      res.once("error", () => resolve());
    });
  }

  /** The first message (received or future) matching `pred`. */
  next(pred: (m: any) => boolean, timeoutMs = 5000): Promise<any> {
    const found = this.messages.find(pred);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(`no matching message within ${timeoutMs} ms; got ${JSON.stringify(this.messages.slice(-5))}`),
          ),
        timeoutMs,
      );
      this.#waiters.push({
        pred,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  }

  /** Drops the connection, as a network failure would. */
  drop(): void {
    this.res.destroy();
  }

  #take(chunk: string): void {
    this.#buffer += chunk;
    let end: number;
    while ((end = this.#buffer.indexOf("\n\n")) >= 0) {
      const block = this.#buffer.slice(0, end);
      this.#buffer = this.#buffer.slice(end + 2);
      const data = block
        .split("\n")
        .filter((l) => l.startsWith("data: "))
        .map((l) => l.slice(6))
        .join("");
      if (data === "") continue;
      let m: unknown = data;
      try {
        m = JSON.parse(data);
      } catch {
        // a plain payload stays a string
      }
      this.messages.push(m);
      for (let i = 0; i < this.#waiters.length; i++) {
        const w = this.#waiters[i]!;
        if (w.pred(m)) {
          this.#waiters.splice(i, 1);
          w.resolve(m);
          break;
        }
      }
    }
  }
}

/** Opens a session's SSE stream; resolves with the status and, when 200, the stream. */
export async function openStream(
  url: string,
  options: SendOptions = {},
): Promise<{ status: number; stream: SseStream | null; json: any }> {
  const res = await open(url, options);
  if (res.statusCode !== 200) {
    let text = "";
    res.setEncoding("utf8");
    for await (const chunk of res) text += chunk as string;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = text;
    }
    return { status: res.statusCode ?? 0, stream: null, json };
  }
  return { status: 200, stream: new SseStream(res), json: undefined };
}
