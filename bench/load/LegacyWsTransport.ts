/**
 * Gradio 3.x's queue WebSocket as a virtual user speaks it: one socket per prediction at
 * `/queue/join`: `send_hash` → `{fn_index, session_hash}` → `send_data` (at once from Usher by
 * default and from the floor; after the `estimation`s, when the job starts, from 3.x) →
 * `{data, event_data, fn_index, session_hash}` → `process_starts` → `process_completed`, then the
 * server closes. A per-event socket cannot be reused, so "kept" means the user sends the same
 * session hash on each of its sockets, and `freshSession` a new one per prediction.
 */
import WebSocket from "ws";
import { newSessionHash } from "./SseTransport.ts";
import { newRecord, type RequestRecord, type Transport, type VirtualUser } from "./Transport.ts";
import { userAddress } from "./userAddress.ts";

/** Options of {@link LegacyWsTransport}. */
export interface LegacyWsTransportOptions {
  /** A new session hash for every prediction. @default false */
  readonly freshSession?: boolean;
  /**
   * Each user connects from a loopback address of its own (see {@link userAddress}), as a crowd
   * comes from many: the server keys its fair queue by address. False: every user from 127.0.0.1.
   * @default true
   */
  readonly ownAddresses?: boolean;
}

/** Loose shape of the 3.x messages the generator reads. */
interface LegacyWireMessage {
  msg?: string;
  rank?: number | null;
  rank_eta?: number | null;
  success?: boolean;
  output?: { data?: unknown; error?: unknown } | null;
}

/** Gradio 3.x's per-event queue socket. */
export class LegacyWsTransport implements Transport {
  readonly name = "ws3";
  readonly #url: string;
  readonly #freshSession: boolean;
  readonly #ownAddresses: boolean;

  /** @param baseUrl Server root, e.g. "http://127.0.0.1:7860". */
  constructor(baseUrl: string, options: LegacyWsTransportOptions = {}) {
    this.#url = `${baseUrl.replace(/^http/, "ws").replace(/\/$/, "")}/queue/join`;
    this.#freshSession = options.freshSession ?? false;
    this.#ownAddresses = options.ownAddresses ?? true;
  }

  createUser(index: number): VirtualUser {
    return new LegacyWsUser(this.#url, index, this.#freshSession, this.#ownAddresses ? userAddress(index) : undefined);
  }
}

class LegacyWsUser implements VirtualUser {
  readonly #url: string;
  readonly #index: number;
  readonly #freshSession: boolean;
  readonly #localAddress: string | undefined;
  #sessionHash: string;
  #socket: WebSocket | null = null;

  constructor(url: string, index: number, freshSession: boolean, localAddress: string | undefined) {
    this.#url = url;
    this.#index = index;
    this.#freshSession = freshSession;
    this.#localAddress = localAddress;
    this.#sessionHash = newSessionHash(index);
  }

  close(): void {
    this.#socket?.terminate();
    this.#socket = null;
  }

  predict(input: string, timeoutMs: number): Promise<RequestRecord> {
    const rec = newRecord(this.#index, input, performance.now());
    if (this.#freshSession) this.#sessionHash = newSessionHash(this.#index);
    const hash = this.#sessionHash;
    return new Promise((resolve) => {
      const ws = new WebSocket(this.#url, {
        perMessageDeflate: false,
        ...(this.#localAddress === undefined ? {} : { localAddress: this.#localAddress }),
      });
      this.#socket = ws;
      let done = false;
      const finish = (outcome: RequestRecord["outcome"], error: string | null = null): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        rec.endedMs = performance.now();
        rec.outcome = outcome;
        rec.error = error;
        if (outcome === "timeout" || outcome === "error") ws.terminate();
        if (this.#socket === ws) this.#socket = null;
        resolve(rec);
      };
      const timer = setTimeout(() => finish("timeout", `no result after ${timeoutMs} ms`), timeoutMs);
      ws.on("error", (e) => finish("error", `ws: ${e.message}`));
      ws.on("close", () => {
        if (rec.completedMs !== null && rec.error === null) finish("completed");
        else finish(rec.error === null ? "lost" : "failed", rec.error ?? "closed before process_completed");
      });
      ws.on("message", (data) => {
        let m: LegacyWireMessage;
        try {
          m = JSON.parse(String(data)) as LegacyWireMessage;
        } catch {
          return finish("error", "bad frame");
        }
        const now = performance.now();
        switch (m.msg) {
          case "send_hash":
            ws.send(JSON.stringify({ fn_index: 0, session_hash: hash }));
            break;
          case "estimation":
            rec.joinedMs ??= now;
            rec.firstEstimation ??= {
              rank: m.rank ?? null,
              rankEtaMs: typeof m.rank_eta === "number" ? m.rank_eta * 1000 : null,
              atMs: now,
            };
            break;
          case "send_data":
            rec.joinedMs ??= now;
            ws.send(JSON.stringify({ data: [input], event_data: null, fn_index: 0, session_hash: hash }));
            break;
          case "process_starts":
            rec.startedMs ??= now;
            break;
          case "process_generating":
            rec.chunks++;
            rec.firstChunkMs ??= now;
            break;
          case "process_completed":
            rec.completedMs = now;
            if (m.success === false) rec.error = `function failed: ${JSON.stringify(m.output?.error ?? null)}`;
            else rec.output = m.output?.data;
            break;
          case "queue_full":
            rec.httpStatus = 503;
            finish("refused", "queue_full");
            ws.close();
            break;
          default:
            break; // progress, log
        }
      });
    });
  }
}
