/**
 * Gradio's generator diffs (sse_v2 and later): the first chunk of a stream carries full values,
 * later chunks carry a list of edits per output. The client (`apply_diff` in @gradio/client)
 * applies edits in order with `splice` for arrays, so deletions at the tail of a list are emitted
 * from the highest index down: each one then removes the element it names.
 */

/** One edit: action, path of keys/indexes from the output's root ([] = the whole value), value. */
export type DiffEdit = ["replace" | "append" | "add" | "delete", (string | number)[], unknown];

/** Edits that turn `prev` into `next`; [] when they are equal. */
export function diff(prev: unknown, next: unknown): DiffEdit[] {
  const edits: DiffEdit[] = [];
  compare(prev, next, [], edits);
  return edits;
}

function kind(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}

function compare(a: unknown, b: unknown, path: (string | number)[], edits: DiffEdit[]): void {
  if (a === b) return;
  const ka = kind(a);
  if (ka !== kind(b)) {
    edits.push(["replace", path, b]);
    return;
  }
  if (ka === "string") {
    const sa = a as string;
    const sb = b as string;
    edits.push(sb.startsWith(sa) ? ["append", path, sb.slice(sa.length)] : ["replace", path, sb]);
    return;
  }
  if (ka === "array") {
    const la = a as unknown[];
    const lb = b as unknown[];
    const common = Math.min(la.length, lb.length);
    for (let i = 0; i < common; i++) compare(la[i], lb[i], [...path, i], edits);
    for (let i = la.length - 1; i >= common; i--) edits.push(["delete", [...path, i], null]);
    for (let i = common; i < lb.length; i++) edits.push(["add", [...path, i], lb[i]]);
    return;
  }
  if (ka === "object") {
    const oa = a as Record<string, unknown>;
    const ob = b as Record<string, unknown>;
    for (const key of Object.keys(oa)) {
      if (Object.hasOwn(ob, key)) compare(oa[key], ob[key], [...path, key], edits);
      else edits.push(["delete", [...path, key], null]);
    }
    for (const key of Object.keys(ob)) {
      if (!Object.hasOwn(oa, key)) edits.push(["add", [...path, key], ob[key]]);
    }
    return;
  }
  // numbers, booleans: equal values returned above (NaN aside, which JSON cannot carry anyway)
  edits.push(["replace", path, b]);
}

/** Applies edits to `value` the way @gradio/client does (used by the page and by tests). */
export function applyDiff(value: unknown, edits: readonly DiffEdit[]): unknown {
  let root = value;
  for (const [action, path, v] of edits) {
    if (path.length === 0) {
      if (action === "replace") root = v;
      else if (action === "append") root = String(root) + String(v);
      else throw new Error(`Unsupported root action: ${action}`);
      continue;
    }
    let cur = root as Record<string | number, unknown>;
    for (let i = 0; i < path.length - 1; i++)
      cur = ownValue(cur, path[i] as string | number) as Record<string | number, unknown>;
    const last = path[path.length - 1] as string | number;
    if (action === "replace") setOwn(cur, last, v);
    else if (action === "append") setOwn(cur, last, String(ownValue(cur, last)) + String(v));
    else if (action === "add") {
      if (Array.isArray(cur)) cur.splice(Number(last), 0, v);
      else setOwn(cur, last, v);
    } else if (Array.isArray(cur)) cur.splice(Number(last), 1);
    else delete cur[last];
  }
  return root;
}

// Outputs are data from users: a key such as "__proto__" must stay a plain own key. Reading or
// assigning it with `o[k]` would reach the prototype (and through it, Object.prototype of the page).

function ownValue(o: Record<string | number, unknown>, key: string | number): unknown {
  return Object.hasOwn(o, key) ? o[key] : undefined;
}

function setOwn(o: Record<string | number, unknown>, key: string | number, value: unknown): void {
  Object.defineProperty(o, key, { value, writable: true, enumerable: true, configurable: true });
}
