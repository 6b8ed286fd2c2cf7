/**
 * A port of `gradio_client.utils.json_schema_to_python_type`: `/info` carries, beside each
 * parameter's JSON schema, the Python type hint that the Python client prints in `view_api()`.
 * Producing the same strings keeps Usher's API page and Python clients' output familiar.
 */

type Schema = Record<string, unknown>;

/** The Python type hint for a component's API JSON schema ("str", "float", "filepath", ...). */
export function jsonSchemaToPythonType(schema: Schema): string {
  return toPython(schema, (schema["$defs"] as Record<string, Schema> | undefined) ?? {});
}

function kindOf(schema: Schema): string | Schema {
  if ("const" in schema) return "const";
  if ("enum" in schema) return "enum";
  if ("type" in schema) return schema["type"] as string | Schema;
  if (schema["$ref"]) return "$ref";
  if (schema["oneOf"]) return "oneOf";
  if (schema["anyOf"]) return "anyOf";
  if (schema["allOf"]) return "allOf";
  return {};
}

function resolveRef(schema: Schema, defs: Record<string, Schema>): Schema {
  const ref = schema["$ref"];
  if (typeof ref !== "string") return schema;
  return defs[ref.split("/").pop() ?? ""] ?? {};
}

function isFileSchema(schema: Schema, defs: Record<string, Schema>): boolean {
  const props = (schema["properties"] as Record<string, Schema> | undefined) ?? {};
  if (!props["path"] || !props["meta"]) return false;
  const meta = resolveRef(props["meta"], defs);
  const metaProps = meta["properties"] as Record<string, Schema> | undefined;
  if (metaProps && "_type" in metaProps) return metaProps["_type"]?.["const"] === "gradio.FileData";
  const metaDefault = meta["default"] as Schema | undefined;
  return typeof metaDefault === "object" && metaDefault !== null && metaDefault["_type"] === "gradio.FileData";
}

function toPython(schema: Schema, defs: Record<string, Schema>): string {
  if (Object.keys(schema).length === 0) return "Any";
  const kind = kindOf(schema);
  if (typeof kind === "object") {
    const description = schema["description"];
    return typeof description === "string" && description.includes("json") ? "str | float | bool | list | dict" : "Any";
  }
  switch (kind) {
    case "$ref":
      return toPython(resolveRef(schema, defs), defs);
    case "null":
      return "None";
    case "const":
      return `Literal[${String(schema["const"])}]`;
    case "enum":
      return `Literal[${(schema["enum"] as unknown[]).map((v) => `'${String(v)}'`).join(", ")}]`;
    case "integer":
      return "int";
    case "string":
      return "str";
    case "boolean":
      return "bool";
    case "number":
      return "float";
    case "array": {
      const items = (schema["items"] as Schema | undefined) ?? {};
      const prefix = (items["prefixItems"] ?? schema["prefixItems"]) as Schema[] | undefined;
      if (prefix) return `tuple[${prefix.map((i) => toPython(i, defs)).join(", ")}]`;
      return `list[${toPython(items, defs)}]`;
    }
    case "object": {
      if (isFileSchema(schema, defs)) return "filepath";
      const props = (schema["properties"] as Record<string, Schema> | undefined) ?? {};
      const parts = Object.entries(props)
        .filter(([name]) => name !== "$defs")
        .map(
          ([name, v]) =>
            `${name}: ${toPython(v, defs)}${typeof v["description"] === "string" ? ` (${v["description"]})` : ""}`,
        );
      const extra = schema["additionalProperties"];
      if (extra === true) parts.push("str, Any");
      else if (typeof extra === "object" && extra !== null) parts.push(`str, ${toPython(extra as Schema, defs)}`);
      return `dict(${parts.join(", ")})`;
    }
    case "oneOf":
    case "anyOf":
      return (schema[kind] as Schema[]).map((s) => toPython(s, defs)).join(" | ");
    case "allOf":
      return `All[${(schema[kind] as Schema[]).map((s) => toPython(s, defs)).join(", ")}]`;
    default:
      return "Any";
  }
}
