import { UsherError } from "../errors.ts";
import { randomTokens } from "../randomTokens.ts";

/** The fields of Gradio's PredictBody that Usher reads (doc §2.3). */
export interface PredictBody {
  readonly data: unknown[];
  readonly fnIndex: number | undefined;
  readonly sessionHash: string | undefined;
}

/** Longest session hash accepted; clients make ~11 characters. */
const MAX_SESSION_HASH = 128;

/** Checks the shape of a PredictBody; throws BAD_REQUEST with a clear detail. */
export function parsePredictBody(body: unknown): PredictBody {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new UsherError("BAD_REQUEST", "Body must be a JSON object with a `data` list.");
  }
  const b = body as Record<string, unknown>;
  if (!Array.isArray(b["data"])) throw new UsherError("BAD_REQUEST", "`data` must be a list of input values.");
  const fnIndex = fnIndexOf(b["fn_index"]);
  return { data: b["data"] as unknown[], fnIndex, sessionHash: sessionHashOf(b["session_hash"]) };
}

/**
 * A request's `session_hash` (body, frame or query): undefined when absent (or null); BAD_REQUEST
 * when not a non-empty string of at most {@link MAX_SESSION_HASH} characters.
 */
export function sessionHashOf(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string" || value === "" || value.length > MAX_SESSION_HASH) {
    const what = `\`session_hash\` must be a non-empty string of at most ${MAX_SESSION_HASH} characters.`;
    throw new UsherError("BAD_REQUEST", what);
  }
  return value;
}

/** A request's `fn_index`: undefined when absent (or null); BAD_REQUEST when not a non-negative integer. */
export function fnIndexOf(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (!(Number.isSafeInteger(value) && (value as number) >= 0)) {
    throw new UsherError("BAD_REQUEST", "`fn_index` must be a non-negative integer.");
  }
  return value as number;
}

/**
 * A fresh 32-hex-character id, like Gradio's `uuid4().hex` (128 random bits, no version nibble).
 * Ids must be unguessable: the /call API hands a result to whoever knows its event id. One hex
 * conversion per 256 ids and a slice each: converting 16 bytes per join (or randomUUID plus
 * replaceAll) cost more per prediction.
 */
export const newEventId: () => string = randomTokens(16, "hex", 256);
