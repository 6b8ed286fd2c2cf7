import type { Endpoints } from "../config/Endpoints.ts";
import { errorDetail, postJson } from "./postJson.ts";
import type { EventHandle, EventMessage, JoinRequest, Transport } from "./Transport.ts";

/**
 * For dependencies that skip the queue (`queue: false`, or the app's queue off): one
 * `POST /run/{api_name}` per event, answered with the result. It reports the same messages as the
 * queued transports (a `process_completed`, or a `join_error` for a refused request) so that the
 * runner has one path.
 */
export class DirectTransport implements Transport {
  readonly kind = "direct";
  readonly #endpoints: Endpoints;
  readonly #sessionHash: string;

  constructor(endpoints: Endpoints, sessionHash: string) {
    this.#endpoints = endpoints;
    this.#sessionHash = sessionHash;
  }

  join(request: JoinRequest, onMessage: (message: EventMessage) => void): EventHandle {
    // The server picks the function by fn_index when it is given, so any name works for hidden ones.
    const name = encodeURIComponent(request.apiName ?? "predict");
    const started = performance.now();
    void postJson(this.#endpoints.api(`run/${name}`), {
      data: request.data,
      event_data: null,
      fn_index: request.fnIndex,
      trigger_id: request.triggerId,
      session_hash: this.#sessionHash,
    }).then(({ status, body }) => {
      const b = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
      const duration = (performance.now() - started) / 1000;
      if (status === 200) {
        onMessage({
          msg: "process_completed",
          event_id: "",
          output: {
            data: b["data"],
            is_generating: false,
            duration,
            average_duration: null,
            render_config: null,
            changed_state_ids: [],
            used_cache: null,
          },
          success: true,
          title: null,
        });
      } else if (status === 500 && "error" in b) {
        // A failed function: Gradio's `{error, title, duration, visible}`.
        const title = typeof b["title"] === "string" ? b["title"] : "Error";
        onMessage({
          msg: "process_completed",
          event_id: "",
          output: { error: typeof b["error"] === "string" ? b["error"] : null, title, visible: b["visible"] !== false },
          success: false,
          title,
        });
      } else {
        onMessage({ msg: "join_error", status, detail: errorDetail(body) });
      }
    });
    // A direct call cannot be stopped once sent: the server runs it to its end.
    return { cancel: () => undefined };
  }

  close(): void {}
}
