import type { Dependency } from "./Dependency.ts";
import type { Inputs, Listener } from "./Listener.ts";
import { UsherError } from "../errors.ts";
import { Component, outputError, type ComponentOptions } from "./Component.ts";
import { outOfBounds, roundTo, toFiniteNumber } from "./numbers.ts";

/** Options of {@link Slider}. */
export interface SliderOptions extends ComponentOptions {
  /** Default 0. */
  minimum?: number;
  /** Default 100. */
  maximum?: number;
  /** Default 1. */
  step?: number;
  /** Initial value. Default `minimum`. */
  value?: number;
  /** Decimals to round to (0: integers). Default: no rounding. */
  precision?: number;
}

/**
 * A slider. The function receives a `number` within [minimum, maximum] (out-of-range inputs are
 * refused before queueing; null gives the initial value) and returns a number.
 */
export class Slider extends Component<number> {
  readonly type = "slider";
  readonly minimum: number;
  readonly maximum: number;
  readonly step: number;
  readonly value: number;
  readonly precision: number | undefined;

  constructor(options: SliderOptions = {}) {
    super(options);
    this.minimum = options.minimum ?? 0;
    this.maximum = options.maximum ?? 100;
    this.step = options.step ?? 1;
    this.value = options.value ?? this.minimum;
    this.precision = options.precision;
    if (!(this.minimum <= this.maximum)) {
      throw new UsherError(
        "INVALID_OPTIONS",
        `Slider minimum (${this.minimum}) is greater than its maximum (${this.maximum}).`,
      );
    }
  }

  override validate(payload: unknown): string | null {
    if (payload === null || payload === undefined) return null;
    const n = toFiniteNumber(payload);
    if (n === undefined) return `Expected a number for ${this.describe()}.`;
    return outOfBounds(n, this.minimum, this.maximum);
  }

  preprocess(payload: unknown): number {
    return roundTo(toFiniteNumber(payload) ?? this.value, this.precision);
  }

  postprocess(value: unknown): number | null {
    if (value === null || value === undefined) return null;
    const n = toFiniteNumber(value);
    if (n === undefined) throw outputError(this, "a finite number", value);
    return roundTo(n, this.precision);
  }

  apiInfo(): Record<string, unknown> {
    return {
      type: this.precision === 0 ? "integer" : "number",
      description: `numeric value between ${this.minimum} and ${this.maximum}`,
    };
  }

  examplePayload(): unknown {
    return this.minimum;
  }

  override configValue(): unknown {
    return this.value;
  }

  override configProps(): Record<string, unknown> {
    return {
      ...super.configProps(),
      minimum: this.minimum,
      maximum: this.maximum,
      step: this.step,
      precision: this.precision ?? null,
      show_reset_button: true,
    };
  }

  /** Runs a listener when the user lets go of the slider. */
  release<const TIn extends Inputs = [], TBatch extends boolean = false>(listener: Listener<TIn, TBatch>): Dependency {
    return this.on("release", listener);
  }

  /** Runs a listener on each move by the user. */
  input<const TIn extends Inputs = [], TBatch extends boolean = false>(listener: Listener<TIn, TBatch>): Dependency {
    return this.on("input", listener);
  }
}
