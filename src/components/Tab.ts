import type { BlockOptions } from "./Block.ts";
import { Container } from "./Container.ts";

/** Options of {@link Tab}. */
export interface TabOptions extends BlockOptions {
  /** The tab's title. */
  label: string;
  /** Whether users can switch to it. Default true. */
  interactive?: boolean;
}

/**
 * One tab. Consecutive tabs in the same container form one tab bar (Gradio's `gr.Tabs` is added
 * for them when the app is built).
 *
 * ```ts
 * new Tab("Text", () => { ... });
 * new Tab({ label: "Image" }, () => { ... });
 * ```
 */
export class Tab extends Container {
  readonly type = "tabitem";
  readonly label: string;
  readonly interactive: boolean;

  constructor(labelOrOptions: string | TabOptions, children?: () => void) {
    const options = typeof labelOrOptions === "string" ? { label: labelOrOptions } : labelOrOptions;
    super(options);
    this.label = options.label;
    this.interactive = options.interactive ?? true;
    if (children !== undefined) this.layout(children);
  }

  override describe(): string {
    return `Tab "${this.label}"`;
  }

  override configProps(): Record<string, unknown> {
    return { ...super.configProps(), label: this.label, interactive: this.interactive, id: null };
  }
}
