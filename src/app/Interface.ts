import { Button } from "../components/index.ts";
import { Column } from "../components/index.ts";
import type { Component } from "../components/index.ts";
import { Dataset } from "../components/index.ts";
import { Markdown } from "../components/index.ts";
import { resolveComponent, type ComponentSpec } from "../components/index.ts";
import { Row } from "../components/index.ts";
import { State } from "../components/index.ts";
import { Textbox } from "../components/index.ts";
import { UsherError } from "../errors.ts";
import { Blocks, type BlocksOptions } from "./Blocks.ts";
import type { ArgsOf, BatchEventFn, EventFn, ListenerOptions, Trigger } from "../components/index.ts";
import { parameterNames } from "./parameterNames.ts";

/** Inputs or outputs of an Interface: a component or shortcut ("text", "image", ...), a list of them, or null. */
export type InterfaceIO = ComponentSpec | readonly ComponentSpec[] | null;

/** Options of {@link Interface}. */
export interface InterfaceOptions<TIn extends InterfaceIO, TBatch extends boolean = false>
  extends Omit<ListenerOptions, "scrollToOutput" | "triggerMode">,
    BlocksOptions {
  /** The function: one argument per input, then the EventContext; returns one value per output. */
  fn: TBatch extends true ? BatchEventFn<ArgsOf<TIn>> : EventFn<ArgsOf<TIn>>;
  /** Input components or shortcuts. Default none. */
  inputs?: TIn;
  /** Output components or shortcuts. Default none. */
  outputs?: InterfaceIO;
  /** Call the function with lists of inputs (one entry per queued event). Default false. */
  batch?: TBatch;
  /** Markdown shown under the title. */
  description?: string;
  /** Markdown shown below the app. */
  article?: string;
  /**
   * Sample inputs shown as a clickable table: one row per example, one value per (non-State)
   * input; with a single input, a row may be the bare value. Clicking one fills the inputs.
   */
  examples?: readonly unknown[];
  /** Examples per page of the table. Default 10. */
  examplesPerPage?: number;
  /** Text of the submit button. Default "Submit" ("Generate" without inputs). */
  submitButton?: string;
}

/**
 * One function with its inputs and outputs, laid out for you (Gradio's `gr.Interface`): title,
 * description, an input column with a Submit button, an output column, examples and an article.
 * The function's endpoint is `/predict` unless `apiName` says otherwise; pressing Enter in a
 * Textbox input submits too. Input labels default to the function's parameter names; outputs are
 * labelled "output" (or "output 0", "output 1", ...). One "state" input and one "state" output are
 * the same per-session State.
 *
 * ```ts
 * const demo = new Interface({ fn: (name: string) => `Hello ${name}!`, inputs: "text", outputs: "text" });
 * await demo.queue().launch();
 * ```
 */
export class Interface<const TIn extends InterfaceIO = [], TBatch extends boolean = false> extends Blocks {
  /** The input components, shortcuts resolved. */
  readonly inputComponents: readonly Component<unknown>[];
  /** The output components, shortcuts resolved. */
  readonly outputComponents: readonly Component<unknown>[];

  constructor(options: InterfaceOptions<TIn, TBatch>) {
    if (typeof options !== "object" || options === null || typeof options.fn !== "function") {
      throw new UsherError("INVALID_OPTIONS", "Invalid options for Interface: fn must be a function.");
    }
    super(
      defined({
        title: options.title,
        css: options.css,
        js: options.js,
        head: options.head,
        fillHeight: options.fillHeight,
        fillWidth: options.fillWidth,
      }),
    );
    const inputs = listOf(options.inputs).map(resolveComponent);
    const outputs = listOf(options.outputs).map(resolveComponent);
    // As in Gradio, one State input and one State output are the same State: the value the
    // function returns there is what it receives next time.
    const stateIn = inputs.filter((c) => c instanceof State);
    const stateOut = outputs.findIndex((c) => c instanceof State);
    if (stateIn.length === 1 && stateOut >= 0 && outputs.filter((c) => c instanceof State).length === 1) {
      outputs[stateOut] = stateIn[0]!;
    }
    this.inputComponents = inputs;
    this.outputComponents = outputs;
    const names = parameterNames(options.fn as (...args: never[]) => unknown);
    inputs.forEach((c, i) => {
      if (c.label === undefined && names[i]) c.label = names[i]!;
    });
    outputs.forEach((c, i) => {
      if (c.label === undefined) c.label = outputs.length === 1 ? "output" : `output ${i}`;
    });
    const rows = exampleRows(options.examples, inputs.filter((c) => !(c instanceof State)).length);
    this.layout(() => this.#render(options, inputs, outputs, rows));
  }

  /**
   * Gradio's Interface page: title and description, the inputs with their submit button beside the
   * outputs, the examples, the article; one listener from the button (and Enter in a textbox).
   */
  #render(
    options: InterfaceOptions<TIn, TBatch>,
    inputs: readonly Component<unknown>[],
    outputs: readonly Component<unknown>[],
    rows: unknown[][],
  ): void {
    const shown = (list: readonly Component<unknown>[]) => list.filter((c) => !(c instanceof State));
    const exampleInputs = shown(inputs);
    if (options.title !== undefined) {
      new Markdown(`<h1 style='text-align: center; margin-bottom: 1rem'>${escapeHtml(options.title)}</h1>`);
    }
    if (options.description !== undefined) new Markdown(options.description);
    let submit: Button | undefined;
    new Row(() => {
      if (inputs.length > 0) {
        new Column({ variant: "panel" }, () => {
          for (const c of shown(inputs)) c.render();
          new Row(() => {
            submit = new Button({ value: options.submitButton ?? "Submit", variant: "primary" });
          });
        });
      }
      new Column({ variant: "panel" }, () => {
        // A component can be both an input and an output; it is shown once, in the inputs.
        for (const c of shown(outputs)) if (c.parent === null) c.render();
        if (submit === undefined)
          submit = new Button({ value: options.submitButton ?? "Generate", variant: "primary" });
      });
    });
    const triggers: Trigger[] = [
      [submit!, "click"],
      ...inputs.filter((c) => c instanceof Textbox).map((c): Trigger => [c, "submit"]),
    ];
    this.listen(triggers, {
      ...defined({
        apiVisibility: options.apiVisibility,
        apiDescription: options.apiDescription,
        queue: options.queue,
        batch: options.batch,
        maxBatchSize: options.maxBatchSize,
        concurrencyLimit: options.concurrencyLimit,
        concurrencyId: options.concurrencyId,
        showProgress: options.showProgress,
        expectedDurationMs: options.expectedDurationMs,
        timeoutMs: options.timeoutMs,
      }),
      fn: options.fn as (...args: any[]) => unknown,
      inputs,
      outputs,
      apiName: options.apiName ?? "predict",
      scrollToOutput: true,
    });
    if (rows.length > 0) {
      const dataset = new Dataset({
        components: exampleInputs,
        samples: rows,
        ...defined({ samplesPerPage: options.examplesPerPage }),
      });
      // Loading an example is a hidden, unqueued endpoint that returns the row for the inputs.
      dataset.click({
        fn: (index: number | null) => {
          const row = index === null ? undefined : rows[index];
          const values = row ?? exampleInputs.map(() => null);
          return exampleInputs.length === 1 ? values[0] : values;
        },
        inputs: [dataset],
        outputs: exampleInputs,
        apiName: false,
        queue: false,
        showProgress: "hidden",
      });
    }
    if (options.article !== undefined) new Markdown(options.article);
  }

  override get mode(): "blocks" | "interface" {
    return "interface";
  }
}

/**
 * The fields of `options` that were given. Interface forwards its own options field by field, and an
 * option left out must stay left out (exactOptionalPropertyTypes) rather than arrive as `undefined`.
 */
function defined<T extends object>(options: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  const out: { [K in keyof T]?: Exclude<T[K], undefined> } = {};
  for (const key of Object.keys(options) as (keyof T)[]) {
    const value = options[key];
    if (value !== undefined) out[key] = value as Exclude<T[keyof T], undefined>;
  }
  return out;
}

function listOf(spec: InterfaceIO | undefined): ComponentSpec[] {
  if (spec === undefined || spec === null) return [];
  return Array.isArray(spec) ? [...(spec as readonly ComponentSpec[])] : [spec as ComponentSpec];
}

function exampleRows(examples: readonly unknown[] | undefined, width: number): unknown[][] {
  if (examples === undefined) return [];
  if (!Array.isArray(examples))
    throw new UsherError("INVALID_OPTIONS", "Invalid options for Interface: examples must be a list of rows.");
  return examples.map((row, i) => {
    const values = width === 1 && !Array.isArray(row) ? [row] : row;
    if (!Array.isArray(values) || values.length !== width) {
      throw new UsherError(
        "INVALID_OPTIONS",
        `Invalid options for Interface: example ${i} must have ${width} value${width === 1 ? "" : "s"}, one per input.`,
      );
    }
    return [...(values as unknown[])];
  });
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
