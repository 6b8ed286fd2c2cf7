/** Endpoint names: defaults from function names, and Gradio's de-duplication. */

const VALID = /^[A-Za-z0-9_-]+$/;
// Names JS gives anonymous functions: an arrow written as `{ fn: (x) => x }` is named "fn".
const ANONYMOUS = new Set(["", "fn", "anonymous"]);

/** The default endpoint name for a function: its JS name when usable, else `fallback`. */
export function defaultApiName(fn: (...args: never[]) => unknown, fallback = "predict"): string {
  const name = fn.name.replace(/^(bound )+/, "");
  return !ANONYMOUS.has(name) && VALID.test(name) ? name : fallback;
}

/**
 * Makes names unique in order, as Gradio does: a repeated "greet" becomes "greet_1", then
 * "greet_2". Null (hidden endpoints) passes through.
 */
export function uniqueApiNames(names: readonly (string | null)[]): (string | null)[] {
  const taken = new Set<string>();
  return names.map((name) => {
    if (name === null) return null;
    let candidate = name;
    for (let i = 1; taken.has(candidate); i++) candidate = `${name}_${i}`;
    taken.add(candidate);
    return candidate;
  });
}
