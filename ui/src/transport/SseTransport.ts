import type { Endpoints } from "../config/Endpoints.ts";
import { EventRouter } from "./EventRouter.ts";
import { errorDetail, postJson } from "./postJson.ts";
import { parseServerFrame } from "../../../src/protocol/parseServerFrame.ts";
import type { EventHandle, EventMessage, JoinRequest, Transport } from "./Transport.ts";

/**
 * Gradio's sse_v3 transport: `POST /queue/join` per event, and one `GET /queue/data` stream per
 * session shared by all of its events. The server ends the stream with `close_stream` once the
 * session has nothing pending; the next join opens a new one ("one stream per burst").
 *
 * The stream is an `EventSource`: the browser's own parser, and one connection per tab.
 */
export class SseTransport implements Transport {
  readonly kind = "sse";
  readonly #endpoints: Endpoints;
  readonly #sessionHash: string;
  readonly #router = new EventRouter();
  #source: EventSource | null = null;

  constructor(endpoints: Endpoints, sessionHash: string) {
    this.#endpoints = endpoints;
    this.#sessionHash = sessionHash;
  }

  join(request: JoinRequest, onMessage: (message: EventMessage) => void): EventHandle {
    let eventId: string | null = null;
    let cancelRequested = false;
    const cancel = (id: string) =>
      void postJson(this.#endpoints.api("cancel"), {
        session_hash: this.#sessionHash,
        fn_index: request.fnIndex,
        event_id: id,
      });
    void postJson(this.#endpoints.api("queue/join"), {
      data: request.data,
      event_data: null,
      fn_index: request.fnIndex,
      trigger_id: request.triggerId,
      session_hash: this.#sessionHash,
    }).then(({ status, body, retryAfterS }) => {
      const id = typeof body === "object" && body !== null ? (body as Record<string, unknown>)["event_id"] : undefined;
      if (status !== 200 || typeof id !== "string") {
        const detail = errorDetail(body);
        onMessage(
          retryAfterS === null
            ? { msg: "join_error", status, detail }
            : { msg: "join_error", status, detail, retry_after: retryAfterS },
        );
        return;
      }
      eventId = id;
      this.#router.register(id, onMessage);
      // The session is known to the server only after its first join: open the stream now.
      this.#openStream();
      if (cancelRequested) cancel(id);
    });
    return {
      cancel: () => {
        if (eventId === null) cancelRequested = true;
        else cancel(eventId);
      },
    };
  }

  close(): void {
    this.#source?.close();
    this.#source = null;
    this.#router.failAll("The page closed its connection.");
  }

  #openStream(): void {
    if (this.#source !== null) return;
    const url = `${this.#endpoints.api("queue/data")}?session_hash=${encodeURIComponent(this.#sessionHash)}`;
    const source = new EventSource(url, { withCredentials: false });
    this.#source = source;
    source.onmessage = (e: MessageEvent<string>) => {
      const message = parseServerFrame(e.data);
      if (message === null) return;
      switch (message.msg) {
        case "close_stream":
          this.#closeStream(source);
          // A join answered before this close_stream was read is pending on a stream that has
          // ended for it: the server buffers its messages, so fetch them on a new stream.
          if (this.#router.size > 0) this.#openStream();
          return;
        case "heartbeat":
          return;
        case "unexpected_error":
          this.#closeStream(source);
          this.#router.failAll(message.message);
          return;
        case "estimation":
        case "process_starts":
        case "progress":
        case "log":
        case "process_generating":
        case "process_completed":
          this.#router.deliver(message);
          return;
        default:
          // Not a message of this stream (or a newer server's): nothing to route.
          return;
      }
    };
    source.onerror = () => {
      // CONNECTING: the browser retries by itself and the server resumes the session's buffer.
      // CLOSED: it gave up (an HTTP error); nothing will arrive for the pending events.
      if (source.readyState === EventSource.CLOSED) {
        this.#closeStream(source);
        this.#router.failAll("Connection errored out.");
      }
    };
  }

  #closeStream(source: EventSource): void {
    source.close();
    if (this.#source === source) this.#source = null;
  }
}
