/** Number parsing and checks shared by NumberInput and Slider. */

/** A finite number from a number or a numeric string, else undefined. */
export function toFiniteNumber(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (typeof value === "string" && value.trim() !== "") {
    const n = Number(value);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/** Gradio's bound messages, or null when `n` is within [minimum, maximum]. */
export function outOfBounds(n: number, minimum: number | undefined, maximum: number | undefined): string | null {
  if (minimum !== undefined && n < minimum) return `Value ${n} is less than minimum value ${minimum}.`;
  if (maximum !== undefined && n > maximum) return `Value ${n} is greater than maximum value ${maximum}.`;
  return null;
}

/** Rounds to `precision` decimals (0: an integer); undefined leaves the number as it is. */
export function roundTo(n: number, precision: number | undefined): number {
  if (precision === undefined) return n;
  const f = 10 ** precision;
  return Math.round(n * f) / f;
}
