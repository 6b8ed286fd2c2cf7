import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Checkbox, Dropdown, NumberInput, Radio, Slider, Textbox } from "../../src/app/index.ts";
import { isUsherError } from "../../src/errors.ts";

// Components made outside any layout callback stay unplaced: fine for testing them alone.
const make = <T>(f: () => T): T => f();

describe("Textbox", () => {
  const t = make(() => new Textbox({ label: "Name", maxLength: 5 }));
  test("validate takes strings, numbers, booleans and null", () => {
    assert.equal(t.validate("abc"), null);
    assert.equal(t.validate(12), null);
    assert.equal(t.validate(null), null);
    assert.match(t.validate({}) ?? "", /Expected a string for Textbox "Name"/);
    assert.match(t.validate("toolong") ?? "", /longer than 5/);
  });
  test("preprocess gives a string, '' for null", () => {
    assert.equal(t.preprocess("x"), "x");
    assert.equal(t.preprocess(3), "3");
    assert.equal(t.preprocess(null), "");
  });
  test("postprocess stringifies, null clears", () => {
    assert.equal(t.postprocess(42), "42");
    assert.equal(t.postprocess(undefined), null);
  });
  test("api description", () => {
    assert.deepEqual(t.describeApi(true), {
      type: { type: "string" },
      python_type: { type: "str", description: "" },
      component: "Textbox",
      example_input: "Hello!!",
    });
  });
});

describe("NumberInput", () => {
  const n = make(() => new NumberInput({ minimum: 0, maximum: 10, precision: 1, value: 4 }));
  test("validate checks type and bounds", () => {
    assert.equal(n.validate(5), null);
    assert.equal(n.validate("5"), null);
    assert.equal(n.validate(-1), "Value -1 is less than minimum value 0.");
    assert.equal(n.validate(11), "Value 11 is greater than maximum value 10.");
    assert.match(n.validate("x") ?? "", /Expected a number/);
  });
  test("an empty input takes the initial value, is refused without one, or passes with allowEmpty", () => {
    assert.equal(n.validate(null), null);
    assert.equal(n.preprocess(null), 4);
    const bare = make(() => new NumberInput({ label: "n" }));
    assert.equal(bare.validate(null), 'A number is required for NumberInput "n".');
    assert.throws(
      () => bare.preprocess(null),
      (e) => isUsherError(e, "VALIDATION"),
    );
    const empty = make(() => new NumberInput({ allowEmpty: true }));
    assert.equal(empty.validate(null), null);
    const v: number | null = empty.preprocess(null);
    assert.equal(v, null);
  });
  test("pre/postprocess round to precision; null output clears", () => {
    assert.equal(n.preprocess(1.26), 1.3);
    assert.equal(n.postprocess(2.04), 2);
    assert.equal(n.postprocess(null), null);
    assert.throws(
      () => n.postprocess("abc"),
      (e) => isUsherError(e, "OUTPUT_SHAPE"),
    );
  });
  test("api type is integer with precision 0", () => {
    assert.deepEqual(make(() => new NumberInput({ precision: 0 })).apiInfo(), { type: "integer" });
    assert.deepEqual(n.describeApi(false).python_type, { type: "float", description: "" });
    assert.equal(make(() => new NumberInput()).examplePayload(), 3);
  });
});

describe("Slider", () => {
  const s = make(() => new Slider({ minimum: 1, maximum: 5, value: 2 }));
  test("validate enforces the range", () => {
    assert.equal(s.validate(3), null);
    assert.equal(s.validate(6), "Value 6 is greater than maximum value 5.");
  });
  test("null gives the initial value", () => {
    assert.equal(s.preprocess(null), 2);
    assert.equal(s.preprocess(4), 4);
  });
  test("api info says the range", () => {
    const api = s.describeApi(false);
    assert.deepEqual(api.type, { type: "number", description: "numeric value between 1 and 5" });
    assert.deepEqual(api.python_type, { type: "float", description: "numeric value between 1 and 5" });
    assert.equal(api.example_input, 1);
  });
  test("minimum above maximum is an invalid option", () => {
    assert.throws(
      () => new Slider({ minimum: 5, maximum: 1 }),
      (e) => isUsherError(e, "INVALID_OPTIONS"),
    );
  });
});

describe("Checkbox", () => {
  const c = make(() => new Checkbox());
  test("booleans only", () => {
    assert.equal(c.validate(true), null);
    assert.match(c.validate("yes") ?? "", /true or false/);
    assert.equal(c.preprocess(null), false);
    assert.equal(c.postprocess(true), true);
    assert.throws(
      () => c.postprocess("true"),
      (e) => isUsherError(e, "OUTPUT_SHAPE"),
    );
    assert.deepEqual(c.describeApi(true).python_type, { type: "bool", description: "" });
  });
});

describe("Dropdown and Radio", () => {
  const d = make(() => new Dropdown({ choices: ["a", ["Bee", "b"], 3] }));
  test("choices normalise to [display, value]", () => {
    assert.deepEqual(d.choices, [
      ["a", "a"],
      ["Bee", "b"],
      ["3", 3],
    ]);
    assert.deepEqual(d.configProps()["choices"], [
      ["a", "a"],
      ["Bee", "b"],
      ["3", 3],
    ]);
  });
  test("values outside the choices are refused", () => {
    assert.equal(d.validate("b"), null);
    assert.equal(d.validate("Bee"), 'Value: "Bee" is not in the list of choices: ["a","b",3]');
    assert.match(d.validate(["a"]) ?? "", /one value/);
    assert.equal(make(() => new Dropdown({ choices: ["a"], allowCustomValue: true })).validate("zzz"), null);
  });
  test("multiselect takes and gives lists", () => {
    const m = make(() => new Dropdown({ choices: ["a", "b"], multiselect: true, maxChoices: 1 }));
    assert.equal(m.validate(["a"]), null);
    assert.match(m.validate(["a", "b"]) ?? "", /at most 1/);
    assert.deepEqual(m.preprocess(null), []);
    assert.deepEqual(m.postprocess("a"), ["a"]);
    assert.deepEqual(m.apiInfo(), { type: "array", items: { type: "string", enum: ["a", "b"] } });
    assert.deepEqual(m.describeApi(true).python_type.type, "list[Literal['a', 'b']]");
  });
  test("Radio api info and validation", () => {
    const r = make(() => new Radio({ choices: ["x", "y"] }));
    assert.deepEqual(r.apiInfo(), { enum: ["x", "y"], title: "Radio", type: "string" });
    assert.equal(r.describeApi(true).python_type.type, "Literal['x', 'y']");
    assert.equal(r.validate("y"), null);
    assert.match(r.validate("z") ?? "", /not in the list of choices/);
    assert.equal(r.preprocess("x"), "x");
    assert.equal(r.examplePayload(), "x");
  });
});
