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

/** Called with each input as a call starts (batch items in batch order). */
export type CallHook = (input: string) => void;

/** Builds the function a {@link FunctionSpec} names; `onCall`, if given, sees every call first. */
export function makeScenarioFunction(spec: FunctionSpec, onCall?: CallHook): ScenarioFunction {
  switch (spec.kind) {
    case "identity":
      return onCall === undefined
        ? { kind: "single", fn: (x: string) => x }
        : {
            kind: "single",
            fn: (x: string) => {
              onCall(x);
              return x;
            },
          };
    case "sleep": {
      const { sleepMs } = spec;
      return {
        kind: "single",
        fn: async (x: string) => {
          onCall?.(x);
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
          if (onCall !== undefined) for (const x of xs) onCall(x);
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
          onCall?.(x);
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

/** What a correct server returns for `input` (the final value, for a stream). */
export function expectedOutput(spec: FunctionSpec, input: string): string {
  if (spec.kind !== "stream") return input;
  let text = input;
  for (let i = 0; i < spec.tokens; i++) text += ` t${i}`;
  return text;
}
