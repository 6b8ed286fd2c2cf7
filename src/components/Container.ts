import type { Dependency } from "./Dependency.ts";
import type { AnyListener, Trigger, TriggerAfter } from "./Listener.ts";
import { UsherError } from "../errors.ts";
import { Block } from "./Block.ts";
import { LayoutContext } from "./LayoutContext.ts";

/** Where event listeners are registered: the Blocks at the root of a layout tree. */
export interface ListenerRegistry {
  /**
   * Registers one dependency fired by `triggers` (or, with `after`, when another dependency
   * ends); its index is its fn_index.
   */
  listen(triggers: readonly Trigger[], listener: AnyListener, after?: TriggerAfter): Dependency;
}

/** A block that holds other blocks: Blocks itself and the layouts (Row, Column, Tab, Accordion). */
export abstract class Container extends Block {
  readonly #children: Block[] = [];

  /** The blocks placed in this container, in order. */
  get children(): readonly Block[] {
    return this.#children;
  }

  /**
   * Opens this container while `fn` runs: blocks constructed inside `fn` are placed here.
   * `fn` must be synchronous. Returns this.
   */
  layout(fn: () => void): this {
    LayoutContext.within(this, fn);
    return this;
  }

  /** Places blocks (created with `render: false`, or outside any layout) at the end of this container. */
  add(...blocks: Block[]): this {
    if (this.isFrozen()) {
      throw new UsherError(
        "INVALID_OPTIONS",
        `Cannot add to ${this.describe()}: its app was already built or launched.`,
      );
    }
    for (const block of blocks) {
      if (block === this || (block instanceof Container && block.contains(this))) {
        throw new UsherError("INVALID_OPTIONS", `Cannot place ${block.describe()} inside itself.`);
      }
      block.attachTo(this);
      this.#children.push(block);
    }
    return this;
  }

  /** True when `block` is this container or sits anywhere below it. */
  contains(block: Block): boolean {
    for (let b: Block | null = block; b !== null; b = b.parent) if (b === this) return true;
    return false;
  }

  /** Whether the app this container belongs to is built (no more changes). */
  isFrozen(): boolean {
    return this.parent?.isFrozen() ?? false;
  }

  /** The registry for event listeners of blocks in this tree, or null outside any Blocks. */
  listenerRegistry(): ListenerRegistry | null {
    return this.parent?.listenerRegistry() ?? null;
  }
}
