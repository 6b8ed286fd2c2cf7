import { UsherError } from "../errors.ts";
import { Component, outputError, type ComponentOptions } from "./Component.ts";
import { outOfBounds, roundTo, toFiniteNumber } from "./numbers.ts";

/** Options of {@link NumberInput}. */
export interface NumberInputOptions<TEmpty extends boolean = false> extends ComponentOptions {
  /**
   * Let the field be empty: the function then receives null for an empty field (typed
   * `number | null`). Default false: an empty input takes the initial `value`, or is refused
   * before queueing when there is none, so the function always gets a number.
   */
  allowEmpty?: TEmpty;
  /** Initial value. Default null (empty). */
  value?: number | null;
  /** Smallest value accepted as input. */
  minimum?: number;
  /** Largest value accepted as input. */
  maximum?: number;
  /** Step of the arrows. Default 1. */
  step?: number;
  /** Decimals to round to (0: integers). Default: no rounding. */
  precision?: number;
  /** Grey hint shown while empty. */
  placeholder?: string;
}

/**
 * A number field (Gradio's `gr.Number`; exported as `NumberInput` so that it does not shadow the
 * global `Number`, and as `components.Number`). The function receives a `number`, rounded to
 * `precision`; inputs outside [minimum, maximum] are refused before queueing. An empty input (null)
 * takes the initial `value`, or is refused when there is none, unless `allowEmpty` lets null
 * through (Gradio passes None).
 */
export class NumberInput<TEmpty extends boolean = false> extends Component<
  TEmpty extends true ? number | null : number
> {
  readonly type = "number";
  readonly value: number | null;
  readonly minimum: number | undefined;
  readonly maximum: number | undefined;
  readonly step: number;
  readonly precision: number | undefined;
  readonly placeholder: string | undefined;
  readonly allowEmpty: boolean;

  constructor(options: NumberInputOptions<TEmpty> = {}) {
    super(options);
    this.allowEmpty = options.allowEmpty ?? false;
    this.value = options.value ?? null;
    this.minimum = options.minimum;
    this.maximum = options.maximum;
    this.step = options.step ?? 1;
    this.precision = options.precision;
    this.placeholder = options.placeholder;
  }

  override validate(payload: unknown): string | null {
    if (payload === null || payload === undefined) {
      return this.allowEmpty || this.value !== null ? null : `A number is required for ${this.describe()}.`;
    }
    const n = toFiniteNumber(payload);
    if (n === undefined) return `Expected a number for ${this.describe()}.`;
    return outOfBounds(n, this.minimum, this.maximum);
  }

  preprocess(payload: unknown): TEmpty extends true ? number | null : number {
    const n = toFiniteNumber(payload) ?? (this.allowEmpty ? null : this.value);
    if (n === null && !this.allowEmpty)
      throw new UsherError("VALIDATION", `A number is required for ${this.describe()}.`);
    return (n === null ? null : roundTo(n, this.precision)) as TEmpty extends true ? number | null : number;
  }

  postprocess(value: unknown): number | null {
    if (value === null || value === undefined) return null;
    const n = toFiniteNumber(value);
    if (n === undefined) throw outputError(this, "a finite number", value);
    return roundTo(n, this.precision);
  }

  apiInfo(): Record<string, unknown> {
    return { type: this.precision === 0 ? "integer" : "number" };
  }

  examplePayload(): unknown {
    return roundTo(this.minimum ?? 3, this.precision);
  }

  override configValue(): unknown {
    return this.value;
  }

  override configProps(): Record<string, unknown> {
    return {
      ...super.configProps(),
      minimum: this.minimum ?? null,
      maximum: this.maximum ?? null,
      step: this.step,
      precision: this.precision ?? null,
      placeholder: this.placeholder ?? null,
    };
  }
}
