import { randomBytes } from "node:crypto";
import { UsherError } from "../errors.ts";

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
  const fnIndex = b["fn_index"];
  if (fnIndex !== undefined && fnIndex !== null && !(Number.isSafeInteger(fnIndex) && (fnIndex as number) >= 0)) {
    throw new UsherError("BAD_REQUEST", "`fn_index` must be a non-negative integer.");
  }
  const sessionHash = b["session_hash"];
  if (sessionHash !== undefined && sessionHash !== null) {
    if (typeof sessionHash !== "string" || sessionHash === "" || sessionHash.length > MAX_SESSION_HASH) {
      throw new UsherError("BAD_REQUEST", "`session_hash` must be a non-empty string of at most 128 characters.");
    }
  }
  return {
    data: b["data"] as unknown[],
    fnIndex: fnIndex === null ? undefined : (fnIndex as number | undefined),
    sessionHash: sessionHash === null ? undefined : (sessionHash as string | undefined),
  };
}

/** Random bytes for event ids, drawn 256 ids at a time: one call into the CSPRNG per 256 joins. */
let idBytes = Buffer.alloc(0);
let idAt = 0;

/**
 * A fresh 32-hex-character id, like Gradio's `uuid4().hex` (128 random bits, no version nibble).
 * Hex of a slice of a pooled random buffer: randomUUID plus replaceAll cost more per join.
 */
export function newEventId(): string {
  if (idAt === idBytes.length) {
    idBytes = randomBytes(16 * 256);
    idAt = 0;
  }
  const id = idBytes.toString("hex", idAt, idAt + 16);
  idAt += 16;
  return id;
}
