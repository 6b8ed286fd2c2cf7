import { z } from "zod";
import { Component } from "./Component.ts";
import type { ListenerRegistry } from "./Container.ts";
import { UsherError } from "../errors.ts";
import { parse, resolveEventQueueOptions, type ResolvedEventQueueOptions } from "../options.ts";
import type { AnyListener, Inputs, Listener, Outputs, Trigger, TriggerAfter } from "./Listener.ts";

const extraSchema = z
  .object({
    apiVisibility: z.enum(["public", "undocumented", "private"]).optional(),
    apiDescription: z.string().optional(),
    scrollToOutput: z.boolean().optional(),
    triggerMode: z.enum(["once", "multiple", "always_last"]).optional(),
  })
  .passthrough();

/** True for `function*` and `async function*` (Gradio's `types.generator`). */
export function isGeneratorFunction(fn: unknown): boolean {
  const name = (fn as { constructor?: { name?: string } } | null)?.constructor?.name;
  return name === "AsyncGeneratorFunction" || name === "GeneratorFunction";
}

/**
 * One registered event listener (a Gradio "dependency"): what fires it, its function, inputs,
 * outputs and options. Its {@link fnIndex} is its position in the app: the fn_index clients use.
 * Returned by `click()`, `submit()`, ...; chain with {@link then} and {@link success}.
 */
export class Dependency {
  readonly fnIndex: number;
  readonly triggers: readonly Trigger[];
  readonly inputs: readonly Component<unknown>[];
  readonly outputs: readonly Component<unknown>[];
  readonly fn: (...args: any[]) => unknown;
  readonly options: ResolvedEventQueueOptions;
  readonly apiVisibility: "public" | "undocumented" | "private";
  readonly apiDescription: string;
  readonly scrollToOutput: boolean;
  readonly triggerMode: "once" | "multiple" | "always_last";
  /** The function is a (async) generator: it streams outputs. */
  readonly generator: boolean;
  readonly after: TriggerAfter | null;
  readonly #registry: ListenerRegistry;

  /** Validates a listener; called by the Blocks that registers it. */
  constructor(
    registry: ListenerRegistry,
    fnIndex: number,
    triggers: readonly Trigger[],
    listener: AnyListener,
    after: TriggerAfter | null,
  ) {
    const where =
      triggers[0] === undefined
        ? after?.onlyOnSuccess
          ? "success()"
          : "then()"
        : `${triggers[0][0].describe()}.${triggers[0][1]}()`;
    if (typeof listener !== "object" || listener === null)
      throw new UsherError("INVALID_OPTIONS", `${where} takes an options object with \`fn\`.`);
    if (typeof listener.fn !== "function")
      throw new UsherError("INVALID_OPTIONS", `Invalid options for ${where}: fn must be a function.`);
    const extra = parse(extraSchema, listener, where);
    this.#registry = registry;
    this.fnIndex = fnIndex;
    this.triggers = triggers;
    this.inputs = componentList(listener.inputs, "inputs", where);
    this.outputs = componentList(listener.outputs, "outputs", where);
    this.fn = listener.fn;
    this.options = resolveEventQueueOptions(listener, where);
    this.apiVisibility = this.options.apiName === false ? "private" : (extra.apiVisibility ?? "public");
    this.apiDescription = extra.apiDescription ?? "";
    this.scrollToOutput = extra.scrollToOutput ?? false;
    this.triggerMode = extra.triggerMode ?? "once";
    this.generator = isGeneratorFunction(listener.fn);
    this.after = after;
    if (this.generator && this.options.batch) {
      throw new UsherError(
        "INVALID_OPTIONS",
        `Invalid options for ${where}: a generator function cannot be batched (batch: true).`,
      );
    }
  }

  /** Registers a listener that runs after this one ends, whether it succeeded or not. */
  then<const TIn extends Inputs = [], TBatch extends boolean = false>(listener: Listener<TIn, TBatch>): Dependency {
    return this.#registry.listen([], listener as never, { fnIndex: this.fnIndex, onlyOnSuccess: false });
  }

  /** Registers a listener that runs after this one succeeds. */
  success<const TIn extends Inputs = [], TBatch extends boolean = false>(listener: Listener<TIn, TBatch>): Dependency {
    return this.#registry.listen([], listener as never, { fnIndex: this.fnIndex, onlyOnSuccess: true });
  }
}

function componentList(spec: Inputs | Outputs | null | undefined, field: string, where: string): Component<unknown>[] {
  if (spec === undefined || spec === null) return [];
  const list: readonly unknown[] = Array.isArray(spec) ? spec : [spec];
  for (const c of list) {
    if (!(c instanceof Component)) {
      throw new UsherError(
        "INVALID_OPTIONS",
        `Invalid options for ${where}: ${field} must be components (created with new Textbox(...) etc.).`,
      );
    }
  }
  return [...(list as Component<unknown>[])];
}
