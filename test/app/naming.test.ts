import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { defaultApiName, uniqueApiNames } from "../../src/app/apiNames.ts";
import { parameterNames } from "../../src/app/parameterNames.ts";
import { SessionState } from "../../src/app/SessionState.ts";
import { State } from "../../src/components/State.ts";

describe("parameterNames", () => {
  test("reads plain parameters of every function form", () => {
    assert.deepEqual(
      parameterNames((a: string, b: number) => a + b),
      ["a", "b"],
    );
    assert.deepEqual(
      parameterNames((x: string) => x),
      ["x"],
    );
    assert.deepEqual(
      parameterNames(async function greet(name: string, times = 2) {
        return name.repeat(times);
      }),
      ["name", "times"],
    );
    assert.deepEqual(
      parameterNames(async function* gen(prompt: string) {
        yield prompt;
      }),
      ["prompt"],
    );
    const obj = {
      method(first: string, second = "a,b(c)") {
        return first + second;
      },
    };
    assert.deepEqual(parameterNames(obj.method), ["first", "second"]);
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- a function built from source text is the case under test
    assert.deepEqual(parameterNames(new Function("x", "y /* comment, z */", "return x") as never), ["x", "y"]);
  });

  test("destructured and rest parameters give null; opaque functions give nothing", () => {
    assert.deepEqual(
      parameterNames(({ a }: { a: string }, [b]: string[], ...rest: string[]) => a + b + rest.length),
      [null, null, null],
    );
    assert.deepEqual(parameterNames(Math.max), []);
    assert.deepEqual(parameterNames(((a: string) => a).bind(null)), []);
  });
});

describe("api names", () => {
  test("defaults: the function's name, else predict", () => {
    assert.equal(
      defaultApiName(function classify() {}),
      "classify",
    );
    assert.equal(
      defaultApiName(() => 1),
      "predict",
    );
    const listener = { fn: () => 1 };
    assert.equal(defaultApiName(listener.fn), "predict"); // JS names it "fn"
    assert.equal(defaultApiName(function classify() {}.bind(null)), "classify");
    assert.equal(
      defaultApiName(() => 1, "run"),
      "run",
    );
    const $odd = () => 1;
    assert.equal(defaultApiName($odd), "predict");
  });

  test("de-duplicated like Gradio", () => {
    assert.deepEqual(uniqueApiNames(["a", "a", null, "a", "a_1", "b"]), ["a", "a_1", null, "a_2", "a_1_1", "b"]);
  });
});

describe("SessionState", () => {
  test("initial values per session, set, delete", () => {
    const s = new SessionState();
    const state = new State(() => ({ n: 0 }));
    const first = s.get("a", 1, state) as { n: number };
    assert.deepEqual(first, { n: 0 });
    assert.equal(s.get("a", 1, state), first);
    assert.notEqual(s.get("b", 1, state), first);
    s.set("a", 1, 5);
    assert.equal(s.get("a", 1, state), 5);
    s.delete("a");
    assert.deepEqual(s.get("a", 1, state), { n: 0 });
  });

  test("drops the least recently used session beyond capacity", () => {
    const s = new SessionState(2);
    const state = new State(0);
    s.set("a", 1, 1);
    s.set("b", 1, 2);
    s.get("a", 1, state); // a is now the most recent
    s.set("c", 1, 3);
    assert.equal(s.size, 2);
    assert.equal(s.get("a", 1, state), 1);
    assert.equal(s.get("b", 1, state), 0); // b was evicted: back to the initial value
  });

  test("keeps exactly the most recently used sessions over many gets, sets, deletes and evictions", () => {
    // A reference LRU (a Map re-inserted on use) against the store, on a seeded random walk.
    const capacity = 5;
    const s = new SessionState(capacity);
    const state = new State(-1);
    const reference = new Map<string, number>();
    let seed = 7;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let i = 0; i < 3000; i++) {
      const hash = `s${random(12)}`;
      const op = random(3);
      if (op === 2) {
        s.delete(hash);
        reference.delete(hash);
        continue;
      }
      const had = reference.get(hash);
      reference.delete(hash);
      if (had === undefined && reference.size >= capacity) reference.delete(reference.keys().next().value as string);
      if (op === 0) {
        s.set(hash, 1, i);
        reference.set(hash, i);
      } else {
        assert.equal(s.get(hash, 1, state), had ?? -1);
        reference.set(hash, had ?? -1);
      }
      assert.equal(s.size, reference.size);
    }
  });
});
