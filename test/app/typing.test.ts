// Compile-time checks of the listener typing (run by the typecheck; the test only builds the apps).
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  Blocks,
  Button,
  Image,
  Interface,
  NumberInput,
  State,
  Textbox,
  type EventContext,
} from "../../src/app/index.ts";

test("event function arguments are typed from inputs", () => {
  const app = new Blocks({}, () => {
    const name = new Textbox({ label: "Name" });
    const age = new NumberInput({ label: "Age" });
    const pic = new Image({ type: "filepath" });
    const history = new State<string[]>([]);
    const out = new Textbox();
    new Button("Go").click({
      fn: (n, a, p, h, ctx) => {
        const s: string = n;
        const x: number | null = a;
        const path: string | null = p;
        const list: string[] = h;
        const c: EventContext = ctx;
        void c;
        return `${s} ${x} ${path} ${list.length}`;
      },
      inputs: [name, age, pic, history],
      outputs: [out],
    });
    name.submit({
      fn: (names: string[], ctx: EventContext) => [names.map((n) => n + ctx.eventId)],
      inputs: [name],
      outputs: out,
      batch: true,
    });
    // @ts-expect-error a Textbox gives a string, not a number
    name.change({ fn: (n: number) => n, inputs: [name] });
    name.change({ fn: () => 1, outputs: [out] });
  });
  const demo = new Interface({
    fn: (x: string, n: number | null) => `${x}${n}`,
    inputs: ["text", "number"],
    outputs: "text",
  });
  new Interface({
    fn: (name: string, times: number) => name.repeat(times),
    inputs: [
      { type: "textbox", label: "name" },
      { type: "number", label: "times", value: 2 },
    ],
    outputs: "text",
  });
  new Interface({ fn: (n: number | null) => n, inputs: new NumberInput({ allowEmpty: true }), outputs: "number" });
  // @ts-expect-error with allowEmpty the function must accept null
  new Interface({ fn: (n: number) => n, inputs: new NumberInput({ allowEmpty: true }), outputs: "number" });
  // @ts-expect-error "checkbox" gives a boolean
  new Interface({ fn: (x: string) => x, inputs: "checkbox", outputs: "text" });
  assert.equal(app.dependencies.length, 4);
  assert.equal(demo.dependencies.length, 1);
});
