/**
 * The TypeScript stand-in for Python's `with gr.Row():`. A layout callback runs with its container
 * "open"; blocks constructed meanwhile are placed in the innermost open container. Callbacks run
 * synchronously, so one module-level stack is enough and nothing leaks between apps.
 */
import { UsherError } from "../errors.ts";
import type { Container } from "./Container.ts";

const open: Container[] = [];

/** The stack of open layout containers. */
export const LayoutContext = {
  /** The innermost open container: where a new block goes. */
  current(): Container | undefined {
    return open[open.length - 1];
  },

  /** The outermost open container (normally the Blocks being laid out). */
  outermost(): Container | undefined {
    return open[0];
  },

  /**
   * Runs `fn` with `container` open. The callback must be synchronous: an async one would place
   * the blocks it creates after an `await` into whatever container happens to be open then.
   */
  within<T>(container: Container, fn: () => T): T {
    open.push(container);
    try {
      const result = fn();
      if (typeof (result as { then?: unknown } | null)?.then === "function") {
        throw new UsherError(
          "INVALID_OPTIONS",
          "Layout callbacks must be synchronous: create components without awaiting inside them.",
        );
      }
      return result;
    } finally {
      open.pop();
    }
  },
};
