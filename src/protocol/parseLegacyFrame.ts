import type { LegacyDataFrame, LegacyHashFrame } from "./legacyMessages.ts";
import type { FrameProblem } from "./parseClientFrame.ts";

/** Longest session hash a 3.x client may send, characters. */
const MAX_SESSION_HASH = 128;

/** Reads the first frame of a 3.x queue socket. */
export function parseLegacyHashFrame(value: unknown): LegacyHashFrame | FrameProblem {
  const isObject = typeof value === "object" && value !== null && !Array.isArray(value);
  const f = isObject ? (value as Record<string, unknown>) : {};
  const sessionHash = f["session_hash"] ?? f["hash"];
  if (typeof sessionHash !== "string" || sessionHash === "" || sessionHash.length > MAX_SESSION_HASH) {
    const rule = `\`session_hash\` must be a non-empty string of at most ${MAX_SESSION_HASH} characters.`;
    return { problem: `Expected {fn_index, session_hash}: ${rule}` };
  }
  return { session_hash: sessionHash, fn_index: f["fn_index"] };
}

/** Reads the inputs frame of a 3.x queue socket. */
export function parseLegacyDataFrame(value: unknown): LegacyDataFrame | FrameProblem {
  const data = typeof value === "object" && value !== null ? (value as Record<string, unknown>)["data"] : undefined;
  if (!Array.isArray(data)) return { problem: "`data` must be a list of input values." };
  return { data };
}
