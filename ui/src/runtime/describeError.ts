/** What a toast says about a failed event. */
export interface ErrorText {
  readonly title: string;
  readonly message: string;
  readonly visible: boolean;
}

/**
 * The toast for a refused join, with the server's `detail` and, when the detail does not say when
 * to come back, the `Retry-After` seconds. 503 is a full queue (Gradio's detail "Queue is full…"),
 * or one too busy for this demo's wait limit ("Busy: about 3 min to wait…"), or a stopped one;
 * 429 a client with too many requests waiting or running; 422 carries a list of
 * `{ message, parameter_name }`.
 */
export function describeJoinError(status: number, detail: unknown, retryAfterS?: number): ErrorText {
  const text = detailText(detail);
  const when = retryAfterS === undefined ? null : `${retryAfterS} s`;
  if (status === 503 && (text === "" || text.startsWith("Queue is full"))) {
    return {
      title: "Queue full",
      message: `The queue is full, try again in ${when ?? "a moment"}.${text ? ` (${text})` : ""}`,
      visible: true,
    };
  }
  if (status === 0) return { title: "Connection error", message: text || "Could not reach the server.", visible: true };
  const hint = when === null || /try again/i.test(text) ? "" : ` Try again in ${when}.`;
  return {
    title:
      status === 503
        ? "Try again later"
        : status === 429
          ? "Too many requests"
          : status === 422
            ? "Invalid input"
            : "Error",
    message: `${text || `Request refused (${status}).`}${hint}`,
    visible: true,
  };
}

/** The toast for a function that failed (`process_completed` with `success: false`). */
export function describeRunError(output: unknown, title: string | null): ErrorText {
  const o = (typeof output === "object" && output !== null ? output : {}) as Record<string, unknown>;
  const error = o["error"];
  return {
    title: typeof o["title"] === "string" && o["title"] !== "" ? o["title"] : (title ?? "Error"),
    // Gradio hides the message of unexpected errors unless show_error is on: error is then null.
    message: typeof error === "string" && error !== "" ? error : "An error occurred.",
    visible: o["visible"] !== false,
  };
}

function detailText(detail: unknown): string {
  if (detail === null || detail === undefined) return "";
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    return detail
      .map((d) => {
        if (typeof d !== "object" || d === null) return String(d);
        const r = d as Record<string, unknown>;
        const msg =
          typeof r["message"] === "string" ? r["message"] : typeof r["msg"] === "string" ? r["msg"] : JSON.stringify(d);
        return typeof r["parameter_name"] === "string" ? `${r["parameter_name"]}: ${msg}` : msg;
      })
      .join("; ");
  }
  return JSON.stringify(detail);
}
