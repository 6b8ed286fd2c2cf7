import { Container, type ListenerRegistry } from "../components/index.ts";
import { LayoutContext } from "../components/index.ts";
import { UsherError } from "../errors.ts";
import { resolveQueueOptions, type LaunchOptions, type QueueOptions } from "../options.ts";
import { buildApp } from "./buildApp.ts";
import { Dependency } from "../components/index.ts";
import { launcher } from "./launcher.ts";
import type { AnyListener, Trigger, TriggerAfter } from "../components/index.ts";
import type { RunningApp } from "./RunningApp.ts";
import type { Buildable, RuntimeEnv, ServedApp } from "./ServedApp.ts";

/** Options of {@link Blocks}. */
export interface BlocksOptions {
  /** Title of the browser tab. Default "Usher". */
  title?: string;
  /** Custom CSS for the page. */
  css?: string;
  /** Custom JavaScript run when the page loads. */
  js?: string;
  /** Extra HTML for the page's `<head>`. */
  head?: string;
  /** Stretch the app to the window's height. Default false. */
  fillHeight?: boolean;
  /** Drop the side margins. Default false. */
  fillWidth?: boolean;
}

/**
 * An app laid out by hand (Gradio's `gr.Blocks`). Components and layouts constructed inside a
 * layout callback are placed in the innermost open container, like Python's `with` blocks; event
 * listeners (`btn.click({...})`) become the app's endpoints, numbered in registration order.
 *
 * ```ts
 * const app = new Blocks({ title: "Greeter" }, () => {
 *   const name = new Textbox({ label: "Name" });
 *   const out = new Textbox({ label: "Greeting" });
 *   new Button("Greet").click({ fn: (n: string) => `Hello ${n}!`, inputs: [name], outputs: [out], apiName: "greet" });
 * });
 * await app.queue({ concurrencyCount: 4 }).launch({ port: 7860 });
 * ```
 */
export class Blocks extends Container implements Buildable, ListenerRegistry {
  readonly type: string = "blocks";
  readonly title: string;
  readonly css: string | null;
  readonly js: string | null;
  readonly head: string | null;
  readonly fillHeight: boolean;
  readonly fillWidth: boolean;
  readonly #dependencies: Dependency[] = [];
  #queueOptions: QueueOptions | null = null;
  #frozen = false;

  /** `children`, when given, lays the app out at once (see {@link layout}). */
  constructor(options: BlocksOptions = {}, children?: (app: Blocks) => void) {
    super({ render: false });
    this.title = options.title ?? "Usher";
    this.css = options.css ?? null;
    this.js = options.js ?? null;
    this.head = options.head ?? null;
    this.fillHeight = options.fillHeight ?? false;
    this.fillWidth = options.fillWidth ?? false;
    if (children !== undefined) this.layout(children);
  }

  /** "blocks", or "interface" for an {@link Interface}. */
  get mode(): "blocks" | "interface" {
    return "blocks";
  }

  /**
   * Opens the app while `fn` runs: components and layouts constructed inside are placed in it,
   * and nested layouts (`new Row(() => {...})`) open in turn. `fn` receives the app and must be
   * synchronous. Can be called several times to append; returns this.
   */
  override layout(fn: (app: this) => void): this {
    LayoutContext.within(this, () => fn(this));
    return this;
  }

  /** Event listeners in registration order (index = fn_index). */
  get dependencies(): readonly Dependency[] {
    return this.#dependencies;
  }

  /** The options given to {@link queue}, or null when it was never called. */
  get queueOptions(): QueueOptions | null {
    return this.#queueOptions;
  }

  /**
   * Turns the queue on (Gradio's `demo.queue()`): predictions wait in a queue served by
   * `concurrencyCount` workers. Options are checked now (INVALID_OPTIONS); returns this.
   */
  queue(options: QueueOptions = {}): this {
    resolveQueueOptions(options);
    this.#queueOptions = { ...options };
    return this;
  }

  /** Builds the app and starts serving it. */
  launch(options: LaunchOptions = {}): Promise<RunningApp> {
    return launcher()(this, this.#queueOptions, options);
  }

  /** Freezes the layout and listeners, and builds what the server serves. */
  build(env: RuntimeEnv): ServedApp {
    this.#frozen = true;
    return buildApp(
      {
        root: this,
        dependencies: this.#dependencies,
        title: this.title,
        mode: this.mode,
        css: this.css,
        js: this.js,
        head: this.head,
        fillHeight: this.fillHeight,
        fillWidth: this.fillWidth,
      },
      env,
    );
  }

  /** Registers a listener (used by components' `click()`, `submit()`, ... and by {@link on}). */
  listen(triggers: readonly Trigger[], listener: AnyListener, after?: TriggerAfter): Dependency {
    if (this.#frozen)
      throw new UsherError("INVALID_OPTIONS", "Cannot add event listeners: the app was already built or launched.");
    const dependency = new Dependency(this, this.#dependencies.length, triggers, listener, after ?? null);
    this.#dependencies.push(dependency);
    return dependency;
  }

  override isFrozen(): boolean {
    return this.#frozen;
  }

  override listenerRegistry(): ListenerRegistry {
    return this;
  }
}
