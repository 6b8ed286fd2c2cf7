import type { Component } from "../components/index.ts";
import { LayoutContext } from "../components/index.ts";
import { UsherError } from "../errors.ts";
import type { Dependency } from "../components/index.ts";
import type { Inputs, Listener } from "../components/index.ts";

/**
 * One listener for several triggers (Gradio's `gr.on`): one endpoint that runs when any of them
 * fires.
 *
 * ```ts
 * on([[btn, "click"], [name, "submit"]], { fn: greet, inputs: [name], outputs: [out] });
 * ```
 */
export function on<const TIn extends Inputs = [], TBatch extends boolean = false>(
  triggers: readonly (readonly [component: Component<any>, event: string])[],
  listener: Listener<TIn, TBatch>,
): Dependency {
  const first = triggers[0];
  if (first === undefined) throw new UsherError("INVALID_OPTIONS", "on() needs at least one trigger.");
  const registry = LayoutContext.outermost()?.listenerRegistry() ?? first[0].parent?.listenerRegistry() ?? null;
  if (registry === null) {
    throw new UsherError(
      "INVALID_OPTIONS",
      "on() must be called inside a layout callback, or with components placed in a Blocks.",
    );
  }
  return registry.listen(triggers, listener as never);
}
