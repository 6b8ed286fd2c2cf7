import { UsherError } from "../errors.ts";
import type { Container } from "./Container.ts";
import { LayoutContext } from "./LayoutContext.ts";

/** Options every block (component or layout) takes. */
export interface BlockOptions {
  /**
   * Place the block in the open layout when it is constructed. Set false to create it now and
   * place it later with `render()` or `container.add()`. Default true.
   */
  render?: boolean;
  /** Shown on the page. Default true. */
  visible?: boolean;
  /** HTML id of the block's element, for custom CSS. */
  elemId?: string;
  /** HTML classes of the block's element, for custom CSS. */
  elemClasses?: readonly string[];
}

/**
 * Anything that sits in an app's layout tree: components and layouts (Row, Column, Tab, ...).
 * Ids are not stored here: `Blocks.build()` numbers the frozen tree, so one tree can be built
 * more than once.
 */
export abstract class Block {
  /** Gradio's lowercase block name ("textbox", "row", ...): the config's `type`. */
  abstract readonly type: string;
  #parent: Container | null = null;
  readonly visible: boolean;
  readonly elemId: string | undefined;
  readonly elemClasses: readonly string[] | undefined;

  constructor(options: BlockOptions = {}) {
    this.visible = options.visible ?? true;
    this.elemId = options.elemId;
    this.elemClasses = options.elemClasses;
    if (options.render !== false) LayoutContext.current()?.add(this);
  }

  /** The container this block was placed in, or null while unplaced. */
  get parent(): Container | null {
    return this.#parent;
  }

  /** Places this block in the innermost open layout (for blocks created with `render: false`). */
  render(): this {
    const current = LayoutContext.current();
    if (current === undefined) {
      throw new UsherError("INVALID_OPTIONS", `${this.describe()}.render() must be called inside a layout callback.`);
    }
    current.add(this);
    return this;
  }

  /** A short name for error messages, e.g. `Textbox "Name"`. */
  describe(): string {
    return this.constructor.name;
  }

  /**
   * Gradio's `props` for the config (snake_case keys; nulls are dropped by the builder).
   * `idOf` gives the config id of another block (a Dataset lists its components' ids).
   */
  configProps(idOf?: (block: Block) => number): Record<string, unknown> {
    void idOf;
    return {
      visible: this.visible,
      elem_id: this.elemId ?? null,
      elem_classes: this.elemClasses ?? [],
      name: this.type,
    };
  }

  /** Called by a container when it adopts this block. */
  attachTo(parent: Container): void {
    if (this.#parent !== null) {
      throw new UsherError(
        "INVALID_OPTIONS",
        `${this.describe()} is already placed in a layout; a block can be placed once.`,
      );
    }
    this.#parent = parent;
  }
}
