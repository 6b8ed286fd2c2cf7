import { Interface } from "../../src/index.ts";

/** A gate per input: a call that got "x" waits until `gateOf("x").open()`. */
export interface Gate {
  readonly wait: Promise<void>;
  readonly open: () => void;
}

const gates = new Map<string, Gate>();

/** A gate that a test opens by hand. */
export function gate(): Gate {
  let open!: () => void;
  const wait = new Promise<void>((r) => (open = r));
  return { wait, open };
}

/** The gate of input `key` (made on first use, by the test or by the call). */
export function gateOf(key: string): Gate {
  let g = gates.get(key);
  if (g === undefined) {
    g = gate();
    gates.set(key, g);
  }
  return g;
}

/** An echo of its text whose every call waits until `open()`: the test decides when calls end. */
export function gatedEcho(): { demo: Interface<"text">; open: () => void } {
  const g = gate();
  const demo = new Interface({
    fn: async (s: string) => {
      await g.wait;
      return s;
    },
    inputs: "text",
    outputs: "text",
  });
  return { demo, open: g.open };
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
