/** The integer in environment variable `name` (at least `min`), or `fallback` when it is unset; anything else throws. */
export function envInteger(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  const n = Number(raw ?? fallback);
  if (!Number.isInteger(n) || n < min)
    throw new TypeError(`Expected ${name} to be an integer ≥ ${min}, got "${raw ?? ""}"`);
  return n;
}
