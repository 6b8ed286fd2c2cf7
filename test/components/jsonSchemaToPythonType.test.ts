import assert from "node:assert/strict";
import { test } from "node:test";
import { fileDataSchema } from "../../src/components/FileData.ts";
import { jsonSchemaToPythonType } from "../../src/components/jsonSchemaToPythonType.ts";

test("matches gradio_client's python types", () => {
  assert.equal(jsonSchemaToPythonType({ type: "string" }), "str");
  assert.equal(jsonSchemaToPythonType({ type: "integer" }), "int");
  assert.equal(jsonSchemaToPythonType({}), "Any");
  assert.equal(jsonSchemaToPythonType({ type: {}, description: "any valid json" }), "str | float | bool | list | dict");
  assert.equal(jsonSchemaToPythonType({ enum: ["a", 1] }), "Literal['a', '1']");
  assert.equal(jsonSchemaToPythonType({ type: "array", items: { type: "number" } }), "list[float]");
  assert.equal(jsonSchemaToPythonType({ anyOf: [{ type: "string" }, { type: "null" }] }), "str | None");
  assert.equal(
    jsonSchemaToPythonType({ type: "object", additionalProperties: { type: "number" } }),
    "dict(str, float)",
  );
  assert.equal(jsonSchemaToPythonType(fileDataSchema()), "filepath");
});
