/**
 * Gradio's sse_v3 protocol over raw `node:http` with keep-alive: a prediction is
 * `POST {prefix}/queue/join` then `GET {prefix}/queue/data?session_hash=…`, read until this
 * event's `process_completed` and the stream's `close_stream` (or its end).
 */
import http from "node:http";
import { SseParser } from "./SseParser.ts";
import { newRecord, type RequestRecord, type Transport, type VirtualUser } from "./Transport.ts";

interface Target {
  readonly hostname: string;
  readonly port: number;
  readonly prefix: string;
}

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

/** Speaks sse_v3 as a browser tab would: one session and one keep-alive connection pool per user. */
export class SseTransport implements Transport {
  readonly name = "sse";
  readonly #target: Target;

  /**
   * @param baseUrl Server root, e.g. "http://127.0.0.1:7860".
   * @param apiPrefix Gradio's `api_prefix`. @default "/gradio_api"
   */
  constructor(baseUrl: string, apiPrefix = "/gradio_api") {
    const url = new URL(baseUrl);
    this.#target = { hostname: url.hostname, port: Number(url.port || 80), prefix: apiPrefix };
  }

  createUser(index: number): VirtualUser {
    return new SseUser(this.#target, index);
  }
}

class SseUser implements VirtualUser {
  readonly #target: Target;
  readonly #index: number;
  readonly #sessionHash: string;
  // Like a browser: keep-alive, a handful of sockets for this user alone.
  readonly #agent = new http.Agent({ keepAlive: true, maxSockets: 6 });

  constructor(target: Target, index: number) {
    this.#target = target;
    this.#index = index;
    this.#sessionHash = Math.random().toString(36).slice(2, 10) + index.toString(36);
  }

  close(): void {
    this.#agent.destroy();
  }

  predict(input: string, timeoutMs: number): Promise<RequestRecord> {
    const { hostname, port, prefix } = this.#target;
    const rec = newRecord(this.#index, performance.now());
    return new Promise((resolve) => {
      let done = false;
      let current: http.ClientRequest | null = null;
      let eventId: string | null = null;

      const finish = (outcome: RequestRecord["outcome"], error: string | null = null): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        rec.endedMs = performance.now();
        rec.outcome = outcome;
        rec.error = error;
        if (outcome === "timeout" || outcome === "error") current?.destroy();
        resolve(rec);
      };
      const timer = setTimeout(() => finish("timeout", `no result after ${timeoutMs} ms`), timeoutMs);

      const onMessage = (data: string): void => {
        let m: WireMessage;
        try {
          m = JSON.parse(data) as WireMessage;
        } catch {
          finish("error", `bad SSE data: ${data.slice(0, 80)}`);
          return;
        }
        const now = performance.now();
        if (m.event_id != null && m.event_id !== eventId) return;
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
            if (m.success === false || (m.output != null && "error" in m.output)) {
              finish("failed", errorText(m));
            } else {
              rec.output = m.output?.data;
            }
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
        const req = http.get(
          {
            agent: this.#agent,
            hostname,
            port,
            path: `${prefix}/queue/data?session_hash=${this.#sessionHash}`,
            headers: { accept: "text/event-stream" },
          },
          (res) => {
            if (res.statusCode !== 200) {
              res.resume();
              finish("error", `queue/data HTTP ${res.statusCode}`);
              return;
            }
            res.setEncoding("utf8");
            const parser = new SseParser(onMessage);
            res.on("data", (chunk: string) => parser.push(chunk));
            res.on("end", () => {
              parser.end();
              if (rec.completedMs !== null) finish("completed");
              else finish("lost", "stream ended before process_completed");
            });
            res.on("error", (e) => finish("error", e.message));
          },
        );
        current = req;
        req.on("error", (e) => finish("error", e.message));
      };

      const body = JSON.stringify({
        data: [input],
        event_data: null,
        fn_index: 0,
        trigger_id: null,
        session_hash: this.#sessionHash,
      });
      const join = http.request(
        {
          agent: this.#agent,
          hostname,
          port,
          method: "POST",
          path: `${prefix}/queue/join`,
          headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
        },
        (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => (text += chunk));
          res.on("error", (e) => finish("error", e.message));
          res.on("end", () => {
            rec.joinedMs = performance.now();
            rec.httpStatus = res.statusCode ?? null;
            if (done) return;
            if (res.statusCode === 503) return finish("refused", text);
            if (res.statusCode !== 200) return finish("error", `join HTTP ${res.statusCode}: ${text.slice(0, 200)}`);
            try {
              eventId = (JSON.parse(text) as { event_id: string }).event_id;
            } catch {
              return finish("error", `join: bad JSON ${text.slice(0, 80)}`);
            }
            openStream();
          });
        },
      );
      current = join;
      join.on("error", (e) => finish("error", e.message));
      join.end(body);
    });
  }
}

function errorText(m: WireMessage): string {
  const error = m.output?.error;
  return `function failed: ${typeof error === "string" ? error : JSON.stringify(error ?? null)}`;
}
