import type { BlockOptions } from "./Block.ts";
import { Container } from "./Container.ts";

/** Options of {@link Row}. */
export interface RowOptions extends BlockOptions {
  /** "panel" and "compact" draw a background / remove gaps. Default "default". */
  variant?: "default" | "panel" | "compact";
  /** Give every child the same height. Default false. */
  equalHeight?: boolean;
}

/**
 * Places its children side by side.
 *
 * ```ts
 * new Row(() => { new Textbox({ label: "a" }); new Textbox({ label: "b" }); });
 * new Row({ variant: "panel" }, () => { ... });
 * ```
 */
export class Row extends Container {
  readonly type = "row";
  readonly variant: string;
  readonly equalHeight: boolean;

  constructor(optionsOrChildren?: RowOptions | (() => void), children?: () => void) {
    const options = typeof optionsOrChildren === "function" ? {} : (optionsOrChildren ?? {});
    super(options);
    this.variant = options.variant ?? "default";
    this.equalHeight = options.equalHeight ?? false;
    // Children are laid out after this row's own fields are set.
    const fn = typeof optionsOrChildren === "function" ? optionsOrChildren : children;
    if (fn !== undefined) this.layout(fn);
  }

  override configProps(): Record<string, unknown> {
    return { ...super.configProps(), variant: this.variant, equal_height: this.equalHeight };
  }
}
