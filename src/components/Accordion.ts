import type { BlockOptions } from "./Block.ts";
import { Container } from "./Container.ts";

/** Options of {@link Accordion}. */
export interface AccordionOptions extends BlockOptions {
  /** The title on the fold. */
  label: string;
  /** Start unfolded. Default true. */
  open?: boolean;
}

/**
 * A foldable section.
 *
 * ```ts
 * new Accordion({ label: "Advanced", open: false }, () => { new Slider({ label: "Temperature" }); });
 * ```
 */
export class Accordion extends Container {
  readonly type = "accordion";
  readonly label: string;
  readonly open: boolean;

  constructor(labelOrOptions: string | AccordionOptions, children?: () => void) {
    const options = typeof labelOrOptions === "string" ? { label: labelOrOptions } : labelOrOptions;
    super(options);
    this.label = options.label;
    this.open = options.open ?? true;
    if (children !== undefined) this.layout(children);
  }

  override describe(): string {
    return `Accordion "${this.label}"`;
  }

  override configProps(): Record<string, unknown> {
    return { ...super.configProps(), label: this.label, open: this.open };
  }
}
