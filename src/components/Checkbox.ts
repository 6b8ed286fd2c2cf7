import type { Dependency } from "./Dependency.ts";
import type { Inputs, Listener } from "./Listener.ts";
import { Component, outputError, type ComponentOptions } from "./Component.ts";

/** Options of {@link Checkbox}. */
export interface CheckboxOptions extends ComponentOptions {
  /** Initially checked. Default false. */
  value?: boolean;
}

/** A checkbox. The function receives a `boolean` (false when the client sent null) and returns one. */
export class Checkbox extends Component<boolean> {
  readonly type = "checkbox";
  readonly value: boolean;

  constructor(options: CheckboxOptions = {}) {
    super(options);
    this.value = options.value ?? false;
  }

  override validate(payload: unknown): string | null {
    return payload === null || payload === undefined || typeof payload === "boolean"
      ? null
      : `Expected true or false for ${this.describe()}.`;
  }

  preprocess(payload: unknown): boolean {
    return payload === true;
  }

  postprocess(value: unknown): boolean | null {
    if (value === null || value === undefined) return null;
    if (typeof value !== "boolean") throw outputError(this, "a boolean", value);
    return value;
  }

  apiInfo(): Record<string, unknown> {
    return { type: "boolean" };
  }

  examplePayload(): unknown {
    return true;
  }

  override configValue(): unknown {
    return this.value;
  }

  /** Runs a listener when the user ticks or unticks it. */
  input<const TIn extends Inputs = [], TBatch extends boolean = false>(listener: Listener<TIn, TBatch>): Dependency {
    return this.on("input", listener);
  }

  /** Runs a listener when the user selects or deselects it. */
  select<const TIn extends Inputs = [], TBatch extends boolean = false>(listener: Listener<TIn, TBatch>): Dependency {
    return this.on("select", listener);
  }
}
