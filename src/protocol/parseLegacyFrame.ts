import type { LegacyDataFrame } from "./legacyMessages.ts";
import type { FrameProblem } from "./parseClientFrame.ts";

/** Reads the inputs frame of a 3.x queue socket. */
export function parseLegacyDataFrame(value: unknown): LegacyDataFrame | FrameProblem {
  const data = typeof value === "object" && value !== null ? (value as Record<string, unknown>)["data"] : undefined;
  if (!Array.isArray(data)) return { problem: "`data` must be a list of input values." };
  return { data };
}
