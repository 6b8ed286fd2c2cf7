/**
 * Gradio's sse_v3 protocol as a virtual user speaks it: a prediction is
 * `POST {prefix}/queue/join` then `GET {prefix}/queue/data?session_hash=…`, read until this
 * event's `process_completed` and the stream's `close_stream` (or its end). Each user has its own
 * keep-alive {@link HttpClient} and, by default, one session hash for all its predictions
 * (`freshSession`: a new one for each, over the same connection).
 */
import type { HttpClient, HttpClientFactory } from "./HttpClient.ts";
import { NodeHttpClient } from "./NodeHttpClient.ts";
import { userAddress } from "./userAddress.ts";
import { RawHttpClient } from "./RawHttpClient.ts";
import { SseParser } from "./SseParser.ts";
import { newRecord, type RequestRecord, type Transport, type VirtualUser } from "./Transport.ts";

/** Which HTTP client the users run on. */
export type HttpClientKind = "raw" | "node-http";

/** Options of {@link SseTransport}. */
export interface SseTransportOptions {
  /** Bare sockets ("raw", cheapest) or `node:http` with keep-alive Agents. @default "raw" */
  readonly client?: HttpClientKind;
  /** Gradio's `api_prefix`. @default "/gradio_api" */
  readonly apiPrefix?: string;
  /**
   * A new session hash for every prediction: a crowd of one-shot visitors, each paying the
   * server's per-session work once per prediction. The user's HTTP connection is kept either way,
   * so the difference between the two patterns is the session's cost alone. @default false
   */
  readonly freshSession?: boolean;
  /**
   * Extra headers on every request of user `index` (its joins and its streams alike), e.g. an
   * `x-forwarded-for` of its own, so that one machine plays many client addresses through a
   * server that trusts loopback proxies. @default none
   */
  readonly headers?: (index: number) => Readonly<Record<string, string>>;
  /**
   * Each user connects from an address of its own on the loopback network (see {@link userAddress}),
   * as a crowd comes from many addresses: the server's fair queue keys clients by address, and one
   * address for every user would make them one client. False: every user from 127.0.0.1. @default true
   */
  readonly ownAddresses?: boolean;
}

const CLIENTS: Record<HttpClientKind, HttpClientFactory> = {
  raw: (hostname, port, localAddress) => new RawHttpClient(hostname, port, localAddress),
  "node-http": (hostname, port, localAddress) => new NodeHttpClient(hostname, port, localAddress),
};

/** Loose shape of the sse_v3 messages the generator reads. */
interface WireMessage {
  msg?: string;
  event_id?: string | null;
  rank?: number | null;
  rank_eta?: number | null;
  success?: boolean;
  output?: { data?: unknown; error?: unknown } | null;
  message?: string;
}

/** sse_v3 over HTTP/1.1 keep-alive. */
export class SseTransport implements Transport {
  readonly name: string;
  readonly #hostname: string;
  readonly #port: number;
  readonly #prefix: string;
  readonly #makeClient: HttpClientFactory;
  readonly #freshSession: boolean;
  readonly #headers: ((index: number) => Readonly<Record<string, string>>) | undefined;
  readonly #ownAddresses: boolean;

  /** @param baseUrl Server root, e.g. "http://127.0.0.1:7860". */
  constructor(baseUrl: string, options: SseTransportOptions = {}) {
    const url = new URL(baseUrl);
    const client = options.client ?? "raw";
    this.name = `sse/${client}`;
    this.#hostname = url.hostname;
    this.#port = Number(url.port || 80);
    this.#prefix = options.apiPrefix ?? "/gradio_api";
    this.#makeClient = CLIENTS[client];
    this.#freshSession = options.freshSession ?? false;
    this.#headers = options.headers;
    // Only a server on the loopback network can be reached from another loopback address.
    this.#ownAddresses = (options.ownAddresses ?? true) && this.#hostname.startsWith("127.");
  }

  createUser(index: number): VirtualUser {
    const local = this.#ownAddresses ? userAddress(index) : undefined;
    const client = this.#makeClient(this.#hostname, this.#port, local);
    return new SseUser(client, this.#prefix, index, this.#freshSession, this.#headers?.(index) ?? {});
  }
}

class SseUser implements VirtualUser {
  readonly #client: HttpClient;
  readonly #prefix: string;
  readonly #index: number;
  readonly #freshSession: boolean;
  readonly #headers: Readonly<Record<string, string>>;
  #sessionHash: string;

  constructor(
    client: HttpClient,
    prefix: string,
    index: number,
    freshSession: boolean,
    headers: Readonly<Record<string, string>>,
  ) {
    this.#client = client;
    this.#prefix = prefix;
    this.#index = index;
    this.#freshSession = freshSession;
    this.#headers = headers;
    this.#sessionHash = newSessionHash(index);
  }

  close(): void {
    this.#client.close();
  }

  predict(input: string, timeoutMs: number): Promise<RequestRecord> {
    const rec = newRecord(this.#index, input, performance.now());
    if (this.#freshSession) this.#sessionHash = newSessionHash(this.#index);
    return new Promise((resolve) => {
      let done = false;
      let abort: (() => void) | null = null;
      let eventId: string | null = null;

      const finish = (outcome: RequestRecord["outcome"], error: string | null = null): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        rec.endedMs = performance.now();
        rec.outcome = outcome;
        rec.error = error;
        if (outcome === "timeout" || outcome === "error") abort?.();
        resolve(rec);
      };
      const timer = setTimeout(() => finish("timeout", `no result after ${timeoutMs} ms`), timeoutMs);

      const onMessage = (data: string): void => {
        if (done) return;
        let m: WireMessage;
        try {
          m = JSON.parse(data) as WireMessage;
        } catch {
          return finish("error", `bad SSE data: ${data.slice(0, 80)}`);
        }
        if (m.event_id != null && m.event_id !== eventId) return;
        const now = performance.now();
        switch (m.msg) {
          case "estimation":
            rec.firstEstimation ??= {
              rank: m.rank ?? null,
              rankEtaMs: typeof m.rank_eta === "number" ? m.rank_eta * 1000 : null,
              atMs: now,
            };
            break;
          case "process_starts":
            rec.startedMs ??= now;
            break;
          case "process_generating":
            rec.chunks++;
            rec.firstChunkMs ??= now;
            if (m.success === false) {
              rec.completedMs = now;
              finish("failed", errorText(m));
            }
            break;
          case "process_completed":
            rec.completedMs = now;
            if (m.success === false || (m.output != null && "error" in m.output)) finish("failed", errorText(m));
            else rec.output = m.output?.data;
            break;
          case "close_stream":
            // The server ends the response right after; a completed event is done now.
            if (rec.completedMs !== null) finish("completed");
            else finish("lost", "close_stream before process_completed");
            break;
          case "unexpected_error":
            finish("error", `unexpected_error: ${m.message ?? ""}`);
            break;
          default:
            break; // heartbeat, progress, log
        }
      };

      const openStream = (): void => {
        const parser = new SseParser(onMessage);
        let status = 0;
        abort = this.#client.request(
          {
            method: "GET",
            path: `${this.#prefix}/queue/data?session_hash=${this.#sessionHash}`,
            headers: { ...this.#headers, accept: "text/event-stream" },
          },
          {
            onHead: (s) => (status = s),
            onData: (text) => {
              if (status === 200) parser.push(text);
            },
            onEnd: () => {
              if (status !== 200) return finish("error", `queue/data HTTP ${status}`);
              parser.end();
              if (rec.completedMs !== null) finish("completed");
              else finish("lost", "stream ended before process_completed");
            },
            onError: (e) => finish("error", `queue/data: ${e.message}`),
          },
        );
      };

      let status = 0;
      let text = "";
      abort = this.#client.request(
        {
          method: "POST",
          path: `${this.#prefix}/queue/join`,
          headers: this.#headers,
          body: JSON.stringify({
            data: [input],
            event_data: null,
            fn_index: 0,
            trigger_id: null,
            session_hash: this.#sessionHash,
          }),
        },
        {
          onHead: (s, retryAfter) => {
            status = s;
            const seconds = retryAfter === null ? Number.NaN : Number(retryAfter);
            rec.retryAfterS = Number.isFinite(seconds) ? seconds : null;
          },
          onData: (chunk) => (text += chunk),
          onEnd: () => {
            rec.joinedMs = performance.now();
            rec.httpStatus = status;
            if (done) return;
            if (status === 503 || status === 429) return finish("refused", text);
            if (status !== 200) return finish("error", `join HTTP ${status}: ${text.slice(0, 200)}`);
            try {
              eventId = (JSON.parse(text) as { event_id: string }).event_id;
            } catch {
              return finish("error", `join: bad JSON ${text.slice(0, 80)}`);
            }
            openStream();
          },
          onError: (e) => finish("error", `join: ${e.message}`),
        },
      );
    });
  }
}

/** A session hash like `@gradio/client`'s (random base 36), unique among the users by its suffix. */
export function newSessionHash(index: number): string {
  return Math.random().toString(36).slice(2, 10) + index.toString(36);
}

function errorText(m: WireMessage): string {
  const error = m.output?.error;
  return `function failed: ${typeof error === "string" ? error : JSON.stringify(error ?? null)}`;
}
