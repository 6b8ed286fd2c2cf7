import assert from "node:assert/strict";
import { test } from "node:test";
import {
  Audio,
  Chatbot,
  Checkbox,
  Dropdown,
  File,
  HTML,
  Image,
  Json,
  Label,
  Markdown,
  NumberInput,
  Radio,
  Slider,
  State,
  Textbox,
} from "../../src/app/index.ts";
import { resolveComponent, SHORTCUT_NAMES } from "../../src/components/resolveComponent.ts";
import { isUsherError } from "../../src/errors.ts";

test("string shortcuts make fresh, unplaced components", () => {
  const cases: [string, Function, string][] = [
    ["text", Textbox, "textbox"],
    ["textbox", Textbox, "textbox"],
    ["number", NumberInput, "number"],
    ["slider", Slider, "slider"],
    ["checkbox", Checkbox, "checkbox"],
    ["dropdown", Dropdown, "dropdown"],
    ["radio", Radio, "radio"],
    ["image", Image, "image"],
    ["audio", Audio, "audio"],
    ["file", File, "file"],
    ["label", Label, "label"],
    ["json", Json, "json"],
    ["markdown", Markdown, "markdown"],
    ["html", HTML, "html"],
    ["chatbot", Chatbot, "chatbot"],
    ["state", State, "state"],
  ];
  for (const [name, cls, type] of cases) {
    const c = resolveComponent(name as never);
    assert.ok(c instanceof cls, name);
    assert.equal(c.type, type);
    assert.equal(c.parent, null);
  }
  assert.notEqual(resolveComponent("text"), resolveComponent("text"));
  assert.equal((resolveComponent("TextArea" as never) as Textbox).lines, 7);
  assert.equal((resolveComponent("files") as File).fileCount, "multiple");
  assert.ok(SHORTCUT_NAMES.includes("json"));
});

test("a component passes through; an unknown name is an invalid option", () => {
  const t = new Textbox();
  assert.equal(resolveComponent(t), t);
  assert.throws(
    () => resolveComponent("video" as never),
    (e) => isUsherError(e, "INVALID_OPTIONS") && /Unknown component "video"/.test(e.message),
  );
});

test("descriptors: a shortcut name as type, plus options", () => {
  const n = resolveComponent({ type: "number", label: "times", value: 2 }) as NumberInput;
  assert.ok(n instanceof NumberInput);
  assert.equal(n.label, "times");
  assert.equal(n.value, 2);
  const t = resolveComponent({ type: "textarea", placeholder: "say" }) as Textbox;
  assert.equal(t.lines, 7);
  assert.equal(t.placeholder, "say");
  const s = resolveComponent({ type: "state", value: [1] }) as State;
  assert.deepEqual(s.initialValue(), [1]);
  assert.throws(
    () => resolveComponent({ type: "video" } as never),
    (e) => isUsherError(e, "INVALID_OPTIONS"),
  );
});
