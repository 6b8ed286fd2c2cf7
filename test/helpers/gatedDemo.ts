import { Interface } from "../../src/index.ts";

/** A gate per input: a call that got "x" waits until `gateOf("x").open()`. */
export interface Gate {
  readonly wait: Promise<void>;
  readonly open: () => void;
}

const gates = new Map<string, Gate>();

/** The gate of input `key` (made on first use, by the test or by the call). */
export function gateOf(key: string): Gate {
  let g = gates.get(key);
  if (g === undefined) {
    let open!: () => void;
    const wait = new Promise<void>((r) => (open = r));
    g = { wait, open };
    gates.set(key, g);
  }
  return g;
}

/** Upper-cases its text once the test opens the text's gate: tests decide when each call ends. */
export const gatedDemo = () =>
  new Interface({
    fn: async (s: string) => {
      await gateOf(s).wait;
      return s.toUpperCase();
    },
    inputs: "text",
    outputs: "text",
    apiName: "up",
  });
