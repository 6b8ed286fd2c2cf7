/** Schemas and the parse step shared by every options section (src/options.ts, src/queueOptions.ts). */
import { z } from "zod";
import { UsherError } from "./errors.ts";

/** An integer ≥ 1. */
export const count = z.number().int().min(1);
/** A duration in whole ms, ≥ 0. */
export const durationMs = z.number().int().min(0);

/** Parses with `schema` or throws INVALID_OPTIONS naming every bad field. */
export function parse<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const problems = r.error.issues.map((i) => `${i.path.join(".") || "(options)"}: ${i.message}`).join("; ");
  throw new UsherError("INVALID_OPTIONS", `Invalid options for ${where}: ${problems}`);
}
