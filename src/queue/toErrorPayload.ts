/**
 * How a failure is shown to the user who made the request. The rules follow Gradio: an
 * {@link AppError} (gr.Error) shows its message; any other error shows a generic message unless
 * the developer set `showError`, because a stack trace or an internal message can leak secrets.
 */
import { AppError, isUsherError, type ErrorCode } from "../errors.ts";
import type { ErrorPayload } from "./types.ts";

/** Default time an error toast stays, ms (Gradio's 10 s). */
export const ERROR_TOAST_MS = 10_000;

/** Usher's own errors whose messages are written for users and always shown. */
const ALWAYS_SHOWN: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  "TIMEOUT",
  "BATCH_SHAPE",
  "OUTPUT_SHAPE",
  "VALIDATION",
]);

/**
 * Turns anything a function threw into an {@link ErrorPayload}.
 * - {@link AppError}: its own message, title, duration and visibility.
 * - UsherError TIMEOUT, BATCH_SHAPE, OUTPUT_SHAPE, VALIDATION: message always shown, title "Error".
 * - anything else: message null (the client's generic text) unless `showError`; code FUNCTION_ERROR,
 *   or the UsherError's own code when it is one (e.g. CANCELLED), so logs keep the real cause.
 */
export function toErrorPayload(err: unknown, showError: boolean): ErrorPayload {
  // The real cause goes to the log (not to the user): non-enumerable, so no copy or JSON carries it.
  return Object.defineProperty(shownPayload(err, showError), "cause", { value: err, enumerable: false });
}

function shownPayload(err: unknown, showError: boolean): ErrorPayload {
  if (err instanceof AppError || (isUsherError(err) && ALWAYS_SHOWN.has(err.code))) {
    return {
      message: err.message,
      title: err.title ?? "Error",
      durationMs: err.durationMs === undefined ? ERROR_TOAST_MS : err.durationMs,
      visible: err.visible ?? true,
      code: err.code,
    };
  }
  return {
    message: showError ? messageOf(err) : null,
    title: "Error",
    durationMs: ERROR_TOAST_MS,
    visible: true,
    code: isUsherError(err) ? err.code : "FUNCTION_ERROR",
  };
}

function messageOf(err: unknown): string {
  if (
    typeof err === "object" &&
    err !== null &&
    "message" in err &&
    err.message !== undefined &&
    err.message !== null
  ) {
    return String(err.message);
  }
  return String(err);
}
