/**
 * Copy-paste snippets for calling an endpoint from @gradio/client (JavaScript), gradio_client
 * (Python) and curl (the `/call` API). Pure and free of DOM and bundler specifics: the API page
 * shows them, and the browser tests import this same module and run what the page shows.
 */

/** One parameter of an endpoint, as `/gradio_api/info` describes it. */
export interface ParameterInfo {
  readonly label?: string | null;
  readonly parameter_name?: string | null;
  readonly parameter_has_default?: boolean;
  readonly parameter_default?: unknown;
  readonly component?: string;
  readonly example_input?: unknown;
  readonly python_type?: { readonly type: string; readonly description?: string };
  readonly type?: unknown;
}

/** One returned value of an endpoint. */
export interface ReturnInfo {
  readonly label?: string | null;
  readonly component?: string;
  readonly python_type?: { readonly type: string; readonly description?: string };
  readonly type?: unknown;
}

/** An endpoint of `/gradio_api/info` (`named_endpoints["/predict"]`). */
export interface EndpointInfo {
  readonly parameters: readonly ParameterInfo[];
  readonly returns: readonly ReturnInfo[];
  readonly description?: string;
}

/** The three snippets of an endpoint. */
export interface Snippets {
  readonly js: string;
  readonly python: string;
  readonly curl: string;
}

/** The value a snippet sends for a parameter: its example (as Gradio's API page does), else its default. */
export function exampleValue(p: ParameterInfo): unknown {
  if (p.example_input !== undefined) return p.example_input;
  return p.parameter_has_default === true ? (p.parameter_default ?? null) : null;
}

/** Whether `v` is a FileData (`meta._type` says so). */
function isFileData(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const meta = (v as Record<string, unknown>)["meta"] as Record<string, unknown> | undefined;
  return meta?.["_type"] === "gradio.FileData";
}

/**
 * An example value with each file the server names by its server path (the app's example files,
 * the bundled samples) given as a URL of the server's own file route instead: every client can
 * send that URL, and the server reads it as the path, so the snippets run offline.
 */
export function withFileUrls(v: unknown, root: string): unknown {
  if (Array.isArray(v)) return v.map((x) => withFileUrls(x, root));
  if (!isFileData(v)) return v;
  const path = v["path"];
  if (typeof path !== "string" || path === "" || /^(?:https?:|data:)/i.test(path)) return v;
  const url = `${root}/gradio_api/file=${path.split("/").map(encodeURIComponent).join("/")}`;
  return { ...v, path: url, url };
}

/** A FileData whose file lives at a URL: clients send it with `handle_file(url)`. */
function fileUrlOf(v: unknown): string | null {
  if (!isFileData(v)) return null;
  const url = typeof v["url"] === "string" ? v["url"] : typeof v["path"] === "string" ? v["path"] : null;
  return url !== null && /^https?:\/\//.test(url) ? url : null;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const PY_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Whether every parameter has a name usable as a keyword in both languages. */
function keywords(params: readonly ParameterInfo[]): boolean {
  return (
    params.length > 0 &&
    params.every((p) => typeof p.parameter_name === "string" && PY_IDENTIFIER.test(p.parameter_name))
  );
}

/** `/predict` → `"/predict"` as the clients name endpoints. */
function endpointName(apiName: string): string {
  return apiName.startsWith("/") ? apiName : `/${apiName}`;
}

/** A JavaScript literal for a wire value; files at URLs become `handle_file(...)`. */
function jsValue(v: unknown): string {
  const url = fileUrlOf(v);
  if (url !== null) return `handle_file(${JSON.stringify(url)})`;
  if (Array.isArray(v)) return `[${v.map((x) => jsValue(x)).join(", ")}]`;
  if (typeof v === "object" && v !== null) {
    const inner = Object.entries(v)
      .map(([k, x]) => `${IDENTIFIER.test(k) ? k : JSON.stringify(k)}: ${jsValue(x)}`)
      .join(", ");
    return `{ ${inner} }`;
  }
  return JSON.stringify(v) ?? "null";
}

/** A Python literal for a wire value (True/False/None, dicts, lists); files at URLs become `handle_file(...)`. */
function pyValue(v: unknown): string {
  const url = fileUrlOf(v);
  if (url !== null) return `handle_file(${JSON.stringify(url)})`;
  if (v === null || v === undefined) return "None";
  if (v === true) return "True";
  if (v === false) return "False";
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : "None";
  if (typeof v === "string") return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(pyValue).join(", ")}]`;
  return `{${Object.entries(v as Record<string, unknown>)
    .map(([k, x]) => `${JSON.stringify(k)}: ${pyValue(x)}`)
    .join(", ")}}`;
}

/** Whether any value needs `handle_file`. */
function usesFiles(values: readonly unknown[]): boolean {
  const walk = (v: unknown): boolean =>
    fileUrlOf(v) !== null ||
    (Array.isArray(v) ? v.some(walk) : typeof v === "object" && v !== null && Object.values(v).some(walk));
  return values.some(walk);
}

/** The @gradio/client snippet (an ES module: top-level await). */
export function jsSnippet(root: string, apiName: string, endpoint: EndpointInfo): string {
  const params = endpoint.parameters;
  const values = params.map(exampleValue);
  const imports = usesFiles(values) ? "Client, handle_file" : "Client";
  const name = JSON.stringify(endpointName(apiName));
  let call: string;
  if (params.length === 0) call = `await client.predict(${name})`;
  else if (keywords(params)) {
    const lines = params.map((p, i) => `  ${p.parameter_name}: ${jsValue(values[i])},`);
    call = `await client.predict(${name}, {\n${lines.join("\n")}\n})`;
  } else {
    call = `await client.predict(${name}, [${values.map((v) => jsValue(v)).join(", ")}])`;
  }
  return [
    `import { ${imports} } from "@gradio/client";`,
    "",
    `const client = await Client.connect(${JSON.stringify(root)});`,
    `const result = ${call};`,
    "",
    "console.log(result.data);",
  ].join("\n");
}

/** The gradio_client (Python) snippet. */
export function pythonSnippet(root: string, apiName: string, endpoint: EndpointInfo): string {
  const params = endpoint.parameters;
  const values = params.map(exampleValue);
  const imports = usesFiles(values) ? "Client, handle_file" : "Client";
  const args = keywords(params)
    ? params.map((p, i) => `    ${p.parameter_name}=${pyValue(values[i])},`)
    : values.map((v) => `    ${pyValue(v)},`);
  return [
    `from gradio_client import ${imports}`,
    "",
    `client = Client(${JSON.stringify(root)})`,
    "result = client.predict(",
    ...args,
    `    api_name=${JSON.stringify(endpointName(apiName))},`,
    ")",
    "print(result)",
  ].join("\n");
}

/** A word as the shell reads it: bare when safe, else single-quoted. */
function shellWord(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./~-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The curl snippet for the `/call` API: POST the inputs, take `event_id` from the answer, then
 * read the result stream (`event: complete` / `data: [...]`). Runs in bash, zsh and sh.
 */
export function curlSnippet(root: string, apiName: string, endpoint: EndpointInfo): string {
  const name = encodeURIComponent(apiName.replace(/^\//, ""));
  const url = `${root}/gradio_api/call/${name}`;
  const body = JSON.stringify({ data: endpoint.parameters.map(exampleValue) });
  return [
    `EVENT_ID=$(curl -s -X POST ${shellWord(url)} \\`,
    `  -H "Content-Type: application/json" \\`,
    `  -d ${shellWord(body)} \\`,
    `  | sed -E 's/.*"event_id": *"([^"]+)".*/\\1/')`,
    `curl -s -N ${shellWord(`${url}/`)}"$EVENT_ID"`,
  ].join("\n");
}

/**
 * All three snippets of endpoint `apiName` of the app at `root` (no trailing slash). Files named
 * by server path become URLs on `root` ({@link withFileUrls}).
 */
export function snippetsFor(root: string, apiName: string, info: EndpointInfo): Snippets {
  const base = root.replace(/\/+$/, "");
  const endpoint: EndpointInfo = {
    ...info,
    parameters: info.parameters.map((p) =>
      p.example_input === undefined ? p : { ...p, example_input: withFileUrls(p.example_input, base) },
    ),
  };
  return {
    js: jsSnippet(base, apiName, endpoint),
    python: pythonSnippet(base, apiName, endpoint),
    curl: curlSnippet(base, apiName, endpoint),
  };
}
