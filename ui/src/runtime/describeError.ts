/** What a toast says about a failed event. */
export interface ErrorText {
  readonly title: string;
  readonly message: string;
  readonly visible: boolean;
}

/**
 * The toast for a refused join. 503 is a full queue (or a stopped one): the user should try again
 * later. 422 carries a list of `{ message, parameter_name }`.
 */
export function describeJoinError(status: number, detail: unknown): ErrorText {
  const text = detailText(detail);
  if (status === 503) {
    return {
      title: "Queue full",
      message: `The queue is full, try again in a moment.${text ? ` (${text})` : ""}`,
      visible: true,
    };
  }
  if (status === 0) return { title: "Connection error", message: text || "Could not reach the server.", visible: true };
  return {
    title: status === 422 ? "Invalid input" : "Error",
    message: text || `Request refused (${status}).`,
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
