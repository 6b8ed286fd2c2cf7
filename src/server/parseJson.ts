/**
 * JSON from clients (request bodies on every route and on the fast lane, WebSocket frames), parsed
 * one way everywhere.
 *
 * Prototype pollution: a `__proto__` key, or a `constructor` key holding an object with a
 * `prototype`, is dropped wherever it appears (secure-json-parse's "remove"), and the rest of the
 * body is accepted. Refusing the whole body, as Fastify does by default, called a valid body
 * "not valid JSON"; keeping such keys as data would hand them to demo code that may merge them
 * into objects. The same words inside a string value (`{"data": ["__proto__"]}`) are plain data.
 */

/** Longest parser message quoted back to the client. */
const MAX_REASON = 200;

/**
 * `JSON.parse`, minus the keys described in the file comment. Throws SyntaxError for text that is
 * not JSON. The reviver runs only when the text contains one of those words or an escape (which
 * could spell them), so ordinary bodies pay three substring scans.
 */
export function parseJson(text: string): unknown {
  // A byte order mark is not JSON, but Fastify's parser (secure-json-parse) allowed one.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (!text.includes("__proto__") && !text.includes("constructor") && !text.includes("\\u")) return JSON.parse(text);
  return JSON.parse(text, dropPoisonKeys);
}

/** A reviver's `undefined` deletes the key from its holder (JSON.parse made it an own, plain key). */
function dropPoisonKeys(key: string, value: unknown): unknown {
  if (key === "__proto__") return undefined;
  if (key === "constructor" && typeof value === "object" && value !== null && Object.hasOwn(value, "prototype"))
    return undefined;
  return value;
}

/** The `detail` of a body (or frame: `what`) that is not JSON, with the parser's reason. */
export function invalidJsonMessage(err: unknown, what = "Body"): string {
  const reason = err instanceof SyntaxError ? err.message.slice(0, MAX_REASON) : "";
  return reason === "" ? `${what} is not valid JSON.` : `${what} is not valid JSON: ${reason}`;
}
