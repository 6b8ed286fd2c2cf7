import type { Dependency } from "./Dependency.ts";
import type { Inputs, Listener } from "./Listener.ts";
import { Component, type ComponentOptions } from "./Component.ts";

/** Options of {@link Button}. */
export interface ButtonOptions extends ComponentOptions {
  /** The button's text. Default "Run". */
  value?: string;
  /** Style. Default "secondary". */
  variant?: "primary" | "secondary" | "stop" | "huggingface";
  /** Size. Default "lg". */
  size?: "sm" | "md" | "lg";
  /** URL of an icon shown beside the text. */
  icon?: string;
  /** Open this URL when clicked (instead of, or besides, running listeners). */
  link?: string;
}

/** A button. Its value is its text: a function receives it as a string and may return new text. */
export class Button extends Component<string> {
  readonly type = "button";
  readonly value: string;
  readonly variant: string;
  readonly size: string;
  readonly icon: string | undefined;
  readonly link: string | undefined;

  /** `new Button("Go")` or `new Button({ value: "Go", variant: "primary" })`. */
  constructor(valueOrOptions: string | ButtonOptions = {}) {
    const options = typeof valueOrOptions === "string" ? { value: valueOrOptions } : valueOrOptions;
    super(options);
    this.value = options.value ?? "Run";
    this.variant = options.variant ?? "secondary";
    this.size = options.size ?? "lg";
    this.icon = options.icon;
    this.link = options.link;
  }

  override describe(): string {
    return `Button "${this.value}"`;
  }

  override validate(payload: unknown): string | null {
    return payload === null || payload === undefined || typeof payload === "string"
      ? null
      : `Expected a string for ${this.describe()}.`;
  }

  preprocess(payload: unknown): string {
    return typeof payload === "string" ? payload : this.value;
  }

  postprocess(value: unknown): string | null {
    return value === null || value === undefined ? null : String(value);
  }

  apiInfo(): Record<string, unknown> {
    return { type: "string" };
  }

  examplePayload(): unknown {
    return this.value;
  }

  override configValue(): unknown {
    return this.value;
  }

  override configProps(): Record<string, unknown> {
    const { label: _label, info: _info, show_label: _showLabel, container: _container, ...rest } = super.configProps();
    return { ...rest, variant: this.variant, size: this.size, icon: this.icon ?? null, link: this.link ?? null };
  }

  /** Runs a listener when the button is clicked. */
  click<const TIn extends Inputs = [], TBatch extends boolean = false>(listener: Listener<TIn, TBatch>): Dependency {
    return this.on("click", listener);
  }
}
