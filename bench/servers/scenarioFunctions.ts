/**
 * The scenario functions, shared by the floor and the Usher child so that both serve exactly the
 * same code. Each is written the way a demo author would write it for Usher's `Interface`.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { FunctionSpec } from "./ServerSpec.ts";

/** A scenario function, tagged with its calling convention. */
export type ScenarioFunction =
  /** One input → one output (sync or async). */
  | { readonly kind: "single"; readonly fn: (x: string) => string | Promise<string> }
  /** Gradio batch convention: one list per input in, one list per output out. */
  | { readonly kind: "batch"; readonly fn: (xs: string[]) => Promise<[string[]]>; readonly maxBatchSize: number }
  /** Async generator: yields the full text so far; the last value is the result. */
  | { readonly kind: "stream"; readonly fn: (x: string) => AsyncGenerator<string, void, void> };

/** Builds the function a {@link FunctionSpec} names. */
export function makeScenarioFunction(spec: FunctionSpec): ScenarioFunction {
  switch (spec.kind) {
    case "identity":
      return { kind: "single", fn: (x: string) => x };
    case "sleep": {
      const { sleepMs } = spec;
      return {
        kind: "single",
        fn: async (x: string) => {
          await sleep(sleepMs);
          return x;
        },
      };
    }
    case "batch": {
      const { baseMs, perItemMs } = spec;
      return {
        kind: "batch",
        maxBatchSize: spec.maxBatchSize,
        fn: async (xs: string[]): Promise<[string[]]> => {
          await sleep(baseMs + perItemMs * xs.length);
          return [xs];
        },
      };
    }
    case "stream": {
      const { tokens, intervalMs } = spec;
      return {
        kind: "stream",
        fn: async function* (x: string) {
          let text = x;
          for (let i = 0; i < tokens; i++) {
            await sleep(intervalMs);
            text += ` t${i}`;
            yield text;
          }
        },
      };
    }
  }
}
