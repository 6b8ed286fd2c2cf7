/**
 * `npm start`: the showcase app file, launched by the usher CLI (`usher demo/src/showcase.ts`).
 * CONCURRENCY_COUNT (default 2) sizes the queue's shared pool and the OCR worker pool.
 */
import { createShowcase } from "./createShowcase.ts";

const count = Number(process.env["CONCURRENCY_COUNT"] ?? 2);
if (!Number.isInteger(count) || count < 1)
  throw new Error(`CONCURRENCY_COUNT must be a whole number ≥ 1, got "${process.env["CONCURRENCY_COUNT"]}"`);

const { app } = await createShowcase({ concurrencyCount: count });

/** The app the CLI launches. */
export default app;
