import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Button, Chatbot, HTML, Json, Label, Markdown } from "../../src/app/index.ts";
import type { ProcessContext } from "../../src/components/Component.ts";
import { isUsherError } from "../../src/errors.ts";
import { NO_FILES_ENV, ROOT_URL } from "../app/helpers.ts";

const ctx: ProcessContext = { files: NO_FILES_ENV.files, rootUrl: ROOT_URL };

describe("Label", () => {
  test("confidences are sorted and cut to numTopClasses", () => {
    const l = new Label({ numTopClasses: 2 });
    assert.deepEqual(l.postprocess({ dog: 0.2, cat: 0.7, bird: 0.1 }), {
      label: "cat",
      confidences: [
        { label: "cat", confidence: 0.7 },
        { label: "dog", confidence: 0.2 },
      ],
    });
    assert.deepEqual(l.postprocess(new Map([["a", 1]])), { label: "a", confidences: [{ label: "a", confidence: 1 }] });
  });
  test("a string is a bare label", () => {
    assert.deepEqual(new Label().postprocess("cat"), { label: "cat", confidences: null });
    assert.equal(new Label().postprocess(null), null);
  });
  test("non-numeric confidences are an output error", () => {
    assert.throws(
      () => new Label().postprocess({ cat: "high" }),
      (e) => isUsherError(e, "OUTPUT_SHAPE"),
    );
    assert.throws(
      () => new Label().postprocess([1, 2]),
      (e) => isUsherError(e, "OUTPUT_SHAPE"),
    );
  });
  test("as input it gives confidences or the label", () => {
    const l = new Label();
    assert.deepEqual(l.preprocess({ label: "cat", confidences: [{ label: "cat", confidence: 0.9 }] }), { cat: 0.9 });
    assert.equal(l.preprocess({ label: "cat", confidences: null }), "cat");
  });
  test("python type of LabelData", () => {
    assert.equal(
      new Label().describeApi(false).python_type.type,
      "dict(label: str | int | float | None, confidences: list[dict(label: str | int | float | None, confidence: float | None)] | None)",
    );
  });
});

describe("Json", () => {
  test("strings holding JSON are parsed; values normalised", () => {
    const j = new Json();
    assert.deepEqual(j.postprocess('{"a":1}'), { a: 1 });
    assert.equal(j.postprocess("not json"), "not json");
    assert.deepEqual(j.postprocess({ d: new Date(0), u: undefined }), { d: "1970-01-01T00:00:00.000Z" });
    assert.throws(
      () => j.postprocess({ big: 1n }),
      (e) => isUsherError(e, "OUTPUT_SHAPE"),
    );
  });
  test("api info is any JSON", () => {
    const api = new Json().describeApi(true);
    assert.deepEqual(api.type, { type: {}, description: "any valid json" });
    assert.equal(api.python_type.type, "str | float | bool | list | dict");
    assert.equal(api.component, "Json");
  });
});

describe("Markdown, HTML, Button", () => {
  test("Markdown removes common indentation", () => {
    assert.equal(new Markdown().postprocess("\n    # Title\n      text\n    "), "# Title\n  text");
    assert.equal(new Markdown("# Hi").configProps()["value"], "# Hi");
  });
  test("HTML is a string", () => {
    assert.equal(new HTML().postprocess(5), "5");
    assert.equal(new HTML().describeApi(true).component, "Html");
  });
  test("Button value is its text", () => {
    const b = new Button("Go");
    assert.equal(b.preprocess(null), "Go");
    assert.equal(b.configProps()["value"], "Go");
    assert.equal(b.configProps()["label"], undefined);
  });
});

describe("Chatbot", () => {
  test("messages pass through; tuples become messages", async () => {
    const c = new Chatbot();
    const out = await c.postprocess([{ role: "user", content: "hi" }, ["how are you?", "fine"]], ctx);
    assert.deepEqual(out, [
      { role: "user", metadata: null, content: "hi", options: null },
      { role: "user", metadata: null, content: "how are you?", options: null },
      { role: "assistant", metadata: null, content: "fine", options: null },
    ]);
  });
  test("validate wants a list of messages", () => {
    const c = new Chatbot();
    assert.equal(c.validate([{ role: "user", content: "x" }]), null);
    assert.match(c.validate("x") ?? "", /list of messages/);
    assert.match(c.validate([{ content: "x" }]) ?? "", /role/);
    assert.deepEqual(c.preprocess(null), []);
  });
  test("bad outputs are refused", async () => {
    await assert.rejects(new Chatbot().postprocess("hello", ctx), (e) => isUsherError(e, "OUTPUT_SHAPE"));
  });
  test("api info is a list of messages", () => {
    const api = new Chatbot().describeApi(true);
    assert.match(
      api.python_type.type,
      /^list\[dict\(role: str, metadata: dict\(str, Any\) \| None, content: str \| dict\(file: filepath/,
    );
    assert.equal(api.component, "Chatbot");
  });
});
