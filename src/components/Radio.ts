import type { Dependency } from "./Dependency.ts";
import type { Inputs, Listener } from "./Listener.ts";
import { Component, outputError, type ComponentOptions } from "./Component.ts";
import { normalizeChoices, notAChoice, type Choice, type ChoiceValue } from "./normalizeChoices.ts";

/** Options of {@link Radio}. */
export interface RadioOptions extends ComponentOptions {
  /** The choices: values, or `[display, value]` pairs. */
  choices?: readonly Choice[];
  /** Initially selected value. Default none. */
  value?: ChoiceValue | null;
}

/**
 * Radio buttons. The function receives the selected value (`string | number`, or null when
 * nothing is selected); values outside the choices are refused before queueing.
 */
export class Radio extends Component<any> {
  readonly type = "radio";
  readonly choices: readonly [string, ChoiceValue][];
  readonly value: ChoiceValue | null;

  constructor(options: RadioOptions = {}) {
    super(options);
    this.choices = normalizeChoices(options.choices, "Radio");
    this.value = options.value ?? null;
  }

  private get values(): ChoiceValue[] {
    return this.choices.map((c) => c[1]);
  }

  override validate(payload: unknown): string | null {
    if (payload === null || payload === undefined) return null;
    if (typeof payload !== "string" && typeof payload !== "number")
      return `Expected a string or number for ${this.describe()}.`;
    return this.values.includes(payload) ? null : notAChoice(payload, this.values);
  }

  preprocess(payload: unknown): ChoiceValue | null {
    return payload === undefined ? null : (payload as ChoiceValue | null);
  }

  postprocess(value: unknown): ChoiceValue | null {
    if (value === null || value === undefined) return null;
    if (typeof value !== "string" && typeof value !== "number")
      throw outputError(this, "a choice value (string or number)", value);
    return value;
  }

  apiInfo(): Record<string, unknown> {
    return { enum: this.values, title: "Radio", type: "string" };
  }

  examplePayload(): unknown {
    return this.choices[0]?.[1] ?? null;
  }

  override configValue(): unknown {
    return this.value;
  }

  override configProps(): Record<string, unknown> {
    return { ...super.configProps(), choices: this.choices, type: "value" };
  }

  /** Runs a listener when the user picks a value. */
  input<const TIn extends Inputs = [], TBatch extends boolean = false>(listener: Listener<TIn, TBatch>): Dependency {
    return this.on("input", listener);
  }

  /** Runs a listener when the user selects a choice. */
  select<const TIn extends Inputs = [], TBatch extends boolean = false>(listener: Listener<TIn, TBatch>): Dependency {
    return this.on("select", listener);
  }
}
