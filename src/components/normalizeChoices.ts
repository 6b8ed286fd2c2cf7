import { UsherError } from "../errors.ts";

/** A choice's value: what the function receives and returns. */
export type ChoiceValue = string | number;

/** A choice as a developer gives it: a value (shown as is) or `[display, value]`. */
export type Choice = ChoiceValue | readonly [display: string, value: ChoiceValue];

/** Choices as Gradio 4+ sends them in the config: `[[display, value], ...]`. */
export function normalizeChoices(choices: readonly Choice[] | undefined, where: string): [string, ChoiceValue][] {
  return (choices ?? []).map((c) => {
    if (typeof c === "string" || typeof c === "number") return [String(c), c];
    if (
      Array.isArray(c) &&
      c.length === 2 &&
      typeof c[0] === "string" &&
      (typeof c[1] === "string" || typeof c[1] === "number")
    ) {
      return [c[0], c[1]];
    }
    throw new UsherError("INVALID_OPTIONS", `${where}: each choice must be a string, a number or [display, value].`);
  });
}

/** Gradio's message for a value outside the choices. */
export function notAChoice(value: unknown, values: readonly ChoiceValue[]): string {
  return `Value: ${JSON.stringify(value)} is not in the list of choices: ${JSON.stringify(values)}`;
}
