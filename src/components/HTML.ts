import type { Dependency } from "./Dependency.ts";
import type { Inputs, Listener } from "./Listener.ts";
import { Component, type ComponentOptions } from "./Component.ts";

/** Options of {@link HTML}. */
export interface HTMLOptions extends ComponentOptions {
  /** The HTML. */
  value?: string;
}

/** Raw HTML, mostly as an output: the function returns a string. As an input it receives the string. */
export class HTML extends Component<string> {
  readonly type = "html";
  readonly value: string;

  /** `new HTML("<b>hi</b>")` or `new HTML({ value, ... })`. */
  constructor(valueOrOptions: string | HTMLOptions = {}) {
    const options = typeof valueOrOptions === "string" ? { value: valueOrOptions } : valueOrOptions;
    super({ showLabel: false, container: false, ...options });
    this.value = options.value ?? "";
  }

  override validate(payload: unknown): string | null {
    return payload === null || payload === undefined || typeof payload === "string"
      ? null
      : `Expected a string for ${this.describe()}.`;
  }

  preprocess(payload: unknown): string {
    return typeof payload === "string" ? payload : "";
  }

  postprocess(value: unknown): string | null {
    return value === null || value === undefined ? null : String(value);
  }

  apiInfo(): Record<string, unknown> {
    return { type: "string" };
  }

  examplePayload(): unknown {
    return "<p>Hello</p>";
  }

  override configValue(): unknown {
    return this.value;
  }

  /** Runs a listener when the user clicks it. */
  click<const TIn extends Inputs = [], TBatch extends boolean = false>(listener: Listener<TIn, TBatch>): Dependency {
    return this.on("click", listener);
  }
}
