import type { Component, ProcessContext } from "../components/index.ts";
import { State } from "../components/index.ts";
import { UsherError } from "../errors.ts";
import type { EventInfo, InvokeContext, InvokeResult } from "../queue/index.ts";
import { workerRefOf } from "../runtime/index.ts";
import type { WorkerPool } from "../runtime/index.ts";
import type { FileStore } from "../store/index.ts";
import type { AppFunction } from "./ServedApp.ts";
import type { Dependency } from "../components/index.ts";
import { createEventContext } from "../runtime/index.ts";
import type { SessionStateStore } from "./SessionState.ts";

/** What {@link BuiltFunction} needs besides its dependency. */
export interface BuiltFunctionParts {
  readonly dependency: Dependency;
  /** Endpoint name without "/", or null when hidden. */
  readonly apiName: string | null;
  /** Config ids of the inputs and outputs (State values are keyed by them). */
  readonly inputIds: readonly number[];
  readonly outputIds: readonly number[];
  /** Name of each input in `/info` and in validation errors. */
  readonly parameterNames: readonly string[];
  readonly state: SessionStateStore;
  readonly files: FileStore;
  /** Runs the function when it was declared with `inWorker()`. */
  readonly workers?: WorkerPool | undefined;
}

/** One problem with one input value, as the 422 `detail` lists it. */
export interface ValidationProblem {
  readonly is_valid: false;
  readonly message: string;
  readonly parameter_name: string | null;
}

/**
 * A dependency made runnable: the {@link AppFunction} the server validates with and the engine
 * invokes. `invoke` preprocesses the wire inputs (State from the session), calls the developer's
 * function with the positional arguments and an {@link EventContext}, and postprocesses the
 * result into one wire value per output (State outputs stored, sent as null).
 */
export class BuiltFunction implements AppFunction {
  readonly id: number;
  readonly name: string;
  readonly apiName: string | null;
  readonly queue: boolean;
  readonly inputCount: number;
  readonly batch: boolean;
  readonly maxBatchSize: number;
  readonly concurrencyId: string | undefined;
  readonly concurrencyLimit: number | null | undefined;
  readonly expectedDurationMs: number | undefined;
  readonly timeoutMs: number | undefined;
  readonly #dep: Dependency;
  readonly #parts: BuiltFunctionParts;
  readonly #hasStateOutputs: boolean;

  constructor(parts: BuiltFunctionParts) {
    const dep = parts.dependency;
    this.#dep = dep;
    this.#parts = parts;
    this.id = dep.fnIndex;
    this.apiName = parts.apiName;
    this.name = parts.apiName === null ? `fn_index ${dep.fnIndex}` : `/${parts.apiName}`;
    this.queue = dep.options.queue;
    this.inputCount = dep.inputs.length;
    this.batch = dep.options.batch;
    this.maxBatchSize = dep.options.maxBatchSize;
    this.concurrencyId = dep.options.concurrencyId;
    this.concurrencyLimit = dep.options.concurrencyLimit;
    this.expectedDurationMs = dep.options.expectedDurationMs;
    this.timeoutMs = dep.options.timeoutMs;
    this.#hasStateOutputs = dep.outputs.some((c) => c instanceof State);
  }

  get writesState(): boolean {
    return this.#hasStateOutputs;
  }

  validate(data: unknown): void {
    if (!Array.isArray(data)) {
      throw new UsherError(
        "BAD_REQUEST",
        `"data" must be a list with one value per input (${this.inputCount} for ${this.name}).`,
      );
    }
    if (data.length !== this.inputCount) {
      const message = `${this.name} takes ${this.inputCount} input value${this.inputCount === 1 ? "" : "s"}, got ${data.length}.`;
      throw new UsherError("VALIDATION", message, { detail: [{ is_valid: false, message, parameter_name: null }] });
    }
    // Runs on every join and every call: nothing is allocated unless an input is wrong.
    let problems: ValidationProblem[] | null = null;
    const inputs = this.#dep.inputs;
    for (let i = 0; i < inputs.length; i++) {
      const component = inputs[i]!;
      if (component instanceof State) continue; // clients send null for state
      const message = component.validate(data[i]);
      if (message !== null)
        (problems ??= []).push({ is_valid: false, message, parameter_name: this.#parts.parameterNames[i] ?? null });
    }
    if (problems !== null) {
      throw new UsherError("VALIDATION", problems.map((p) => p.message).join(" "), { detail: problems });
    }
  }

  /**
   * Answers in the call when nothing on the way is a promise (a plain function with plain
   * components): each promise layer costs microtask turns on every prediction. Throws in the call
   * on bad input or when the developer's function throws synchronously.
   */
  invoke(inputs: readonly unknown[], ctx: InvokeContext): InvokeResult | Promise<InvokeResult> {
    if (inputs.length !== ctx.events.length || inputs.length === 0) {
      throw new UsherError(
        "INTERNAL",
        `${this.name} invoked with ${inputs.length} inputs for ${ctx.events.length} events.`,
      );
    }
    return this.batch ? this.#invokeBatch(inputs, ctx) : this.#invokeOne(inputs[0], ctx);
  }

  // Each step continues in the call unless it got a promise.
  #invokeOne(data: unknown, ctx: InvokeContext): InvokeResult | Promise<InvokeResult> {
    const event = ctx.events[0]!;
    this.validate(data);
    const pre = this.#preprocess(data as unknown[], event);
    return isThenable(pre) ? pre.then((args) => this.#callOne(args, ctx, event)) : this.#callOne(pre, ctx, event);
  }

  #callOne(args: readonly unknown[], ctx: InvokeContext, event: EventInfo): InvokeResult | Promise<InvokeResult> {
    const called = this.#call(args, ctx);
    return isThenable(called)
      ? Promise.resolve(called).then((result) => this.#finishOne(result, event))
      : this.#finishOne(called, event);
  }

  #finishOne(result: unknown, event: EventInfo): InvokeResult | Promise<InvokeResult> {
    if (isStream(result)) return { kind: "stream", chunks: this.#stream(result, event) };
    const post = this.#postprocess(this.#split(result), event);
    return isThenable(post)
      ? post.then((outputs): InvokeResult => ({ kind: "values", outputs: [outputs] }))
      : { kind: "values", outputs: [post] };
  }

  async #invokeBatch(inputs: readonly unknown[], ctx: InvokeContext): Promise<InvokeResult> {
    const size = inputs.length;
    const perEvent = await Promise.all(
      inputs.map((data, e) => {
        this.validate(data);
        return this.#preprocess(data as unknown[], ctx.events[e]!);
      }),
    );
    // Gradio's convention: one list per input component, one entry per event.
    const lists = this.#dep.inputs.map((_, i) => perEvent.map((args) => args[i]));
    const result = await this.#call(lists, ctx);
    if (isStream(result)) {
      // Closed before refusing it: a worker's stream holds its thread until then.
      await Promise.resolve((result as Partial<AsyncIterator<unknown>>).return?.()).catch(() => undefined);
      throw new UsherError(
        "BATCH_SHAPE",
        `Batched function ${this.name} returned a generator; batched functions must return lists.`,
      );
    }
    const outputCount = this.#dep.outputs.length;
    if (outputCount === 0) return { kind: "values", outputs: inputs.map(() => []) };
    if (!Array.isArray(result) || result.length !== outputCount) {
      throw new UsherError(
        "BATCH_SHAPE",
        `Batched function ${this.name} must return one list per output component (${outputCount}), got ${describeValue(result)}.`,
      );
    }
    for (const list of result) {
      if (!Array.isArray(list) || list.length !== size) {
        throw new UsherError(
          "BATCH_SHAPE",
          `Batched function returned ${Array.isArray(list) ? list.length : describeValue(list)} outputs for ${size} inputs.`,
        );
      }
    }
    const outputs = await Promise.all(
      ctx.events.map((event, e) =>
        this.#postprocess(
          result.map((list: unknown[]) => list[e]),
          event,
        ),
      ),
    );
    return { kind: "values", outputs };
  }

  async *#stream(source: AsyncIterable<unknown> | Iterable<unknown>, event: EventInfo): AsyncGenerator<unknown[]> {
    let yielded = false;
    // for-await closes the developer's generator when the engine stops reading (cancel, disconnect).
    for await (const value of source) {
      // One microtask less per chunk when the components answer in the call.
      const post = this.#postprocess(this.#split(value), event);
      const outputs = isThenable(post) ? await post : post;
      yielded = true;
      yield outputs;
    }
    if (!yielded) yield this.#dep.outputs.map(() => null);
  }

  /** Calls the developer's function: inline, or in the worker pool for an `inWorker()` function. */
  #call(args: readonly unknown[], ctx: InvokeContext): unknown {
    const ref = workerRefOf(this.#dep.fn);
    if (ref === null) return this.#dep.fn(...args, createEventContext(ctx));
    if (this.#parts.workers === undefined)
      throw new UsherError("INTERNAL", `${this.name} runs in a worker thread, but this app has no worker pool.`);
    return this.#parts.workers.run(ref, args, ctx);
  }

  #processContext(event: EventInfo): ProcessContext {
    return { files: this.#parts.files, rootUrl: event.rootUrl };
  }

  /** The function's arguments; a promise only when a component (or State) answered with one. */
  #preprocess(data: readonly unknown[], event: EventInfo): unknown[] | Promise<unknown[]> {
    const ctx = this.#processContext(event);
    const inputs = this.#dep.inputs;
    const args = new Array<unknown>(inputs.length);
    let pending = false;
    for (let i = 0; i < inputs.length; i++) {
      const component = inputs[i]!;
      const value =
        component instanceof State
          ? this.#parts.state.get(event.sessionHash, this.#parts.inputIds[i]!, component)
          : component.preprocess(data[i], ctx);
      if (isThenable(value)) pending = true;
      args[i] = value;
    }
    return pending ? Promise.all(args) : args;
  }

  /**
   * Wire values for one event's outputs; State outputs are stored once all the others succeeded.
   * A promise only when a component answered with one or there are State outputs.
   */
  #postprocess(values: readonly unknown[], event: EventInfo): unknown[] | Promise<unknown[]> {
    const outputs = this.#dep.outputs;
    if (this.#hasStateOutputs) return this.#postprocessWithState(values, event);
    const ctx = this.#processContext(event);
    const wire = new Array<unknown>(values.length);
    let pending = false;
    for (let j = 0; j < values.length; j++) {
      const value = outputs[j]!.postprocess(values[j], ctx);
      if (isThenable(value)) pending = true;
      wire[j] = value;
    }
    return pending ? Promise.all(wire) : wire;
  }

  async #postprocessWithState(values: readonly unknown[], event: EventInfo): Promise<unknown[]> {
    const ctx = this.#processContext(event);
    const outputs = this.#dep.outputs;
    const wire = await Promise.all(
      values.map((v, j) => (outputs[j] instanceof State ? null : outputs[j]!.postprocess(v, ctx))),
    );
    // A shared state store answers with promises: the next event of the session must see the value.
    await Promise.all(
      outputs.map((component, j) =>
        component instanceof State
          ? this.#parts.state.set(event.sessionHash, this.#parts.outputIds[j]!, values[j])
          : undefined,
      ),
    );
    return wire;
  }

  /** One value per output: the value itself for one output, the returned array for several. */
  #split(result: unknown): unknown[] {
    const outputs = this.#dep.outputs;
    if (outputs.length === 0) return [];
    if (outputs.length === 1) return [result];
    if (!Array.isArray(result) || result.length !== outputs.length) {
      throw new UsherError(
        "OUTPUT_SHAPE",
        `${this.name} has ${outputs.length} outputs (${outputs.map((c) => describeComponent(c)).join(", ")}) and must return an array of ${outputs.length} values, got ${Array.isArray(result) ? `an array of ${result.length}` : describeValue(result)}.`,
      );
    }
    return result;
  }
}

/** True for a promise or any other thenable (what `await` would wait for). */
function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === "object" || typeof value === "function") &&
    value !== null &&
    typeof (value as { then?: unknown }).then === "function"
  );
}

/** True for what streams: an async iterable, or a sync generator object. */
function isStream(value: unknown): value is AsyncIterable<unknown> | Iterable<unknown> {
  if (typeof value !== "object" || value === null) return false;
  if (Symbol.asyncIterator in value) return true;
  return Object.prototype.toString.call(value) === "[object Generator]";
}

function describeComponent(c: Component<unknown>): string {
  return c.describe();
}

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return typeof value === "object" ? "an object" : typeof value;
}
