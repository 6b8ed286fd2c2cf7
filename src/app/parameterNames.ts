/**
 * The names of a function's parameters, read from its source: `/info` documents each input under
 * the name the developer gave it, so that keyword calls (`client.predict("/greet", { name })`)
 * read naturally. Only plain identifiers (optionally with a default) count; a destructured or rest
 * parameter, or a function whose source is not available, gives null for that position.
 */
export function parameterNames(fn: (...args: never[]) => unknown): (string | null)[] {
  let src: string;
  try {
    src = Function.prototype.toString.call(fn);
  } catch {
    return [];
  }
  if (/\{\s*\[native code\]\s*\}\s*$/.test(src) || /^class[\s{]/.test(src)) return [];
  const single = /^(?:async\s+)?([A-Za-z_$][\w$]*)\s*=>/.exec(src);
  if (single) return [single[1]!];
  const open = src.indexOf("(");
  if (open < 0) return [];
  const params = paramsText(src, open + 1);
  if (params === null) return [];
  return splitTopLevel(params).map((p) => {
    const m = /^\s*([A-Za-z_$][\w$]*)\s*(?:=[\s\S]*)?$/.exec(p);
    return m ? m[1]! : null;
  });
}

/** The text between the parenthesis at `start - 1` and its match, skipping strings and comments. */
function paramsText(src: string, start: number): string | null {
  let depth = 1;
  let out = "";
  for (let i = start; i < src.length; i++) {
    const c = src[i]!;
    if (c === "/" && src[i + 1] === "*") {
      const end = src.indexOf("*/", i + 2);
      if (end < 0) return null;
      i = end + 1;
      out += " ";
      continue;
    }
    if (c === "/" && src[i + 1] === "/") {
      const end = src.indexOf("\n", i);
      if (end < 0) return null;
      i = end;
      out += " ";
      continue;
    }
    if (c === '"' || c === "'" || c === "`") {
      let j = i + 1;
      while (j < src.length && src[j] !== c) j += src[j] === "\\" ? 2 : 1;
      out += src.slice(i, j + 1);
      i = j;
      continue;
    }
    if (c === "(" || c === "[" || c === "{") depth++;
    if (c === ")" || c === "]" || c === "}") depth--;
    if (depth === 0) return out;
    out += c;
  }
  return null;
}

/** Splits on commas outside brackets and strings. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"' || c === "'" || c === "`") {
      let j = i + 1;
      while (j < text.length && text[j] !== c) j += text[j] === "\\" ? 2 : 1;
      current += text.slice(i, j + 1);
      i = j;
      continue;
    }
    if (c === "(" || c === "[" || c === "{") depth++;
    if (c === ")" || c === "]" || c === "}") depth--;
    if (c === "," && depth === 0) {
      parts.push(current);
      current = "";
    } else current += c;
  }
  if (current.trim() !== "") parts.push(current);
  return parts;
}
