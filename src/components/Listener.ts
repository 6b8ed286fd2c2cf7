/**
 * Types of event listeners (`btn.click({...})`, `name.submit({...})`, Interface's `fn`). The
 * function's argument types follow from `inputs`: `inputs: [name, age]` with a Textbox and a
 * NumberInput types `fn` as `(name: string, age: number | null, ctx: EventContext) => unknown`.
 */
import type { Component } from "./Component.ts";
import type { ShortcutName, ShortcutValues } from "./resolveComponent.ts";
import type { EventQueueOptions } from "../options.ts";
import type { EventContext } from "../runtime/index.ts";

/** One thing that fires a dependency: a component and an event name ("click", "submit", ...). */
export type Trigger = readonly [component: Component<unknown>, event: string];

/** Input components of a listener: one component or a list. */
export type Inputs = Component<unknown> | readonly Component<unknown>[];

/** Output components of a listener: one component or a list. */
export type Outputs = Component<unknown> | readonly Component<unknown>[];

/** What the function receives for a component, a shortcut ("text") or a descriptor (`{ type: "text" }`). */
export type ValueOf<C> =
  C extends Component<infer V>
    ? V
    : C extends ShortcutName
      ? ShortcutValues[C]
      : C extends { readonly type: infer K extends ShortcutName }
        ? ShortcutValues[K]
        : unknown;

/** The function's positional argument types for `inputs` (`any[]` when the list is not a tuple). */
export type ArgsOf<T> = T extends null | undefined
  ? []
  : T extends readonly unknown[]
    ? number extends T["length"]
      ? any[]
      : { -readonly [K in keyof T]: ValueOf<T[K]> }
    : [ValueOf<T>];

/** A non-batched event function: one argument per input, then the {@link EventContext}. */
export type EventFn<TArgs extends readonly unknown[]> = (...args: [...TArgs, EventContext]) => unknown;

/** A batched event function: one list per input (one entry per event), then the {@link EventContext}. */
export type BatchEventFn<TArgs extends readonly unknown[]> = (
  ...args: [...{ -readonly [K in keyof TArgs]: TArgs[K][] }, EventContext]
) => unknown;

/** Options of a listener besides its function, inputs and outputs. */
export interface ListenerOptions extends EventQueueOptions {
  /**
   * Who sees the endpoint in `/info`: "public" (default), "undocumented" (only with
   * `?all_endpoints=true`) or "private" (never; `apiName: false` implies it). All stay callable.
   */
  apiVisibility?: "public" | "undocumented" | "private";
  /** Description of the endpoint in `/info`. Default "". */
  apiDescription?: string;
  /** Scroll the page to the outputs when the call completes. Default false. */
  scrollToOutput?: boolean;
  /** What the page does when the trigger fires while running: Gradio's trigger_mode. Default "once". */
  triggerMode?: "once" | "multiple" | "always_last";
}

/** A listener: its function, inputs, outputs and options. */
export type Listener<TIn, TBatch extends boolean = false> = ListenerOptions & {
  /** Components whose values become the function's arguments, in order. */
  inputs?: TIn;
  /** Components that receive the function's result. */
  outputs?: Outputs | null;
  /** Call the function with lists of inputs (one entry per queued event). */
  batch?: TBatch;
  /** The function; sync, async or an (async) generator for streaming outputs. */
  fn: TBatch extends true ? BatchEventFn<ArgsOf<TIn>> : EventFn<ArgsOf<TIn>>;
};

/** A listener with its types erased, as the app model stores it. */
export type AnyListener = ListenerOptions & {
  inputs?: Inputs | null;
  outputs?: Outputs | null;
  fn: (...args: any[]) => unknown;
};

/** A dependency chained with `.then()` / `.success()` runs after another one. */
export interface TriggerAfter {
  /** fn_index of the dependency it follows. */
  readonly fnIndex: number;
  /** Run only when that one succeeded (`.success()`); `.then()` runs either way. */
  readonly onlyOnSuccess: boolean;
}
