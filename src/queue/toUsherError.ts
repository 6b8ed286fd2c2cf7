/**
 * The throwing twin of {@link toErrorPayload}, for the no-queue path (`runDirect`): the caller gets
 * an UsherError whose message, title and visibility follow the same rules, with its code kept.
 */
import { ERROR_CODES, UsherError, isUsherError } from "../errors.ts";
import { toErrorPayload } from "./toErrorPayload.ts";

/** Converts a function's failure into an UsherError that is safe to show (see {@link toErrorPayload}). */
export function toUsherError(err: unknown, showError: boolean): UsherError {
  const p = toErrorPayload(err, showError);
  // An UsherError whose message may be shown as is (AppError, TIMEOUT, ...) passes through untouched.
  if (isUsherError(err) && p.message === err.message) return err;
  return new UsherError(p.code, p.message ?? ERROR_CODES[p.code].message, {
    title: p.title,
    durationMs: p.durationMs,
    visible: p.visible,
    cause: err,
  });
}
