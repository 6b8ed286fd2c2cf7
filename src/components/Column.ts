import type { BlockOptions } from "./Block.ts";
import { Container } from "./Container.ts";

/** Options of {@link Column}. */
export interface ColumnOptions extends BlockOptions {
  /** Relative width in a Row. Default 1. */
  scale?: number;
  /** Least width in pixels. Default 320. */
  minWidth?: number;
  /** "panel" and "compact" draw a background / remove gaps. Default "default". */
  variant?: "default" | "panel" | "compact";
}

/** Stacks its children vertically (inside a Row, it is one column). */
export class Column extends Container {
  readonly type = "column";
  readonly scale: number;
  readonly minWidth: number;
  readonly variant: string;

  /** `new Column(() => {...})` or `new Column({ scale: 2 }, () => {...})`. */
  constructor(optionsOrChildren?: ColumnOptions | (() => void), children?: () => void) {
    const options = typeof optionsOrChildren === "function" ? {} : (optionsOrChildren ?? {});
    super(options);
    this.scale = options.scale ?? 1;
    this.minWidth = options.minWidth ?? 320;
    this.variant = options.variant ?? "default";
    const fn = typeof optionsOrChildren === "function" ? optionsOrChildren : children;
    if (fn !== undefined) this.layout(fn);
  }

  override configProps(): Record<string, unknown> {
    return { ...super.configProps(), scale: this.scale, min_width: this.minWidth, variant: this.variant };
  }
}
