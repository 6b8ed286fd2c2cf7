import type { Dependency } from "./Dependency.ts";
import type { Inputs, Listener } from "./Listener.ts";
import { Component, outputError, type ComponentOptions } from "./Component.ts";
import { normalizeChoices, notAChoice, type Choice, type ChoiceValue } from "./normalizeChoices.ts";

/** Options of {@link Dropdown}. */
export interface DropdownOptions extends ComponentOptions {
  /** The choices: values, or `[display, value]` pairs. */
  choices?: readonly Choice[];
  /** Initial value (a list with `multiselect`). */
  value?: ChoiceValue | readonly ChoiceValue[] | null;
  /** Let users pick several values. Default false. */
  multiselect?: boolean;
  /** Accept values that are not among the choices. Default false. */
  allowCustomValue?: boolean;
  /** Most values picked with `multiselect`. */
  maxChoices?: number;
  /** Let users type to filter the choices. Default true. */
  filterable?: boolean;
}

/**
 * A dropdown. The function receives the chosen value (`string | number`, or null), or with
 * `multiselect` an array of values; values outside the choices are refused before queueing
 * unless `allowCustomValue`. It returns a value (or a list with `multiselect`).
 */
export class Dropdown extends Component<any> {
  readonly type = "dropdown";
  readonly choices: readonly [string, ChoiceValue][];
  readonly value: ChoiceValue | readonly ChoiceValue[] | null;
  readonly multiselect: boolean;
  readonly allowCustomValue: boolean;
  readonly maxChoices: number | undefined;
  readonly filterable: boolean;

  constructor(options: DropdownOptions = {}) {
    super(options);
    this.choices = normalizeChoices(options.choices, "Dropdown");
    this.multiselect = options.multiselect ?? false;
    this.value = options.value ?? (this.multiselect ? [] : (this.choices[0]?.[1] ?? null));
    this.allowCustomValue = options.allowCustomValue ?? false;
    this.maxChoices = options.maxChoices;
    this.filterable = options.filterable ?? true;
  }

  private get values(): ChoiceValue[] {
    return this.choices.map((c) => c[1]);
  }

  override validate(payload: unknown): string | null {
    if (payload === null || payload === undefined) return null;
    const list = Array.isArray(payload) ? payload : [payload];
    if (Array.isArray(payload) && !this.multiselect) return `${this.describe()} takes one value, not a list.`;
    if (this.maxChoices !== undefined && list.length > this.maxChoices)
      return `Choose at most ${this.maxChoices} values.`;
    for (const v of list) {
      if (typeof v !== "string" && typeof v !== "number") return `Expected a string or number for ${this.describe()}.`;
      if (!this.allowCustomValue && !this.values.includes(v)) return notAChoice(v, this.values);
    }
    return null;
  }

  preprocess(payload: unknown): ChoiceValue | ChoiceValue[] | null {
    if (payload === null || payload === undefined) return this.multiselect ? [] : null;
    if (this.multiselect) return (Array.isArray(payload) ? payload : [payload]) as ChoiceValue[];
    return payload as ChoiceValue;
  }

  postprocess(value: unknown): unknown {
    if (value === null || value === undefined) return null;
    const list = Array.isArray(value) ? value : [value];
    if (list.some((v) => typeof v !== "string" && typeof v !== "number"))
      throw outputError(this, "choice values (strings or numbers)", value);
    if (!this.multiselect && Array.isArray(value)) throw outputError(this, "one value", value);
    return this.multiselect ? list : value;
  }

  apiInfo(): Record<string, unknown> {
    const item = { type: "string", enum: this.values };
    return this.multiselect ? { type: "array", items: item } : item;
  }

  examplePayload(): unknown {
    const first = this.choices[0]?.[1];
    return this.multiselect ? (first === undefined ? [] : [first]) : (first ?? null);
  }

  override configValue(): unknown {
    return this.value;
  }

  override configProps(): Record<string, unknown> {
    return {
      ...super.configProps(),
      choices: this.choices,
      multiselect: this.multiselect,
      allow_custom_value: this.allowCustomValue,
      max_choices: this.maxChoices ?? null,
      filterable: this.filterable,
      type: "value",
    };
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
