import { Component } from "./Component.ts";

/**
 * A value kept per user session on the server, never sent to the page (Gradio's `gr.State`).
 * As an input the function receives the session's current value (the initial `value` for a new
 * session: a fresh `structuredClone` of it, or the result of calling it when it is a function);
 * as an output the returned value becomes the session's new value. Clients send null for state
 * inputs and never see state outputs. Values are freed when the session ends.
 *
 * ```ts
 * const history = new State<string[]>([]);       // or new State(() => new Map())
 * ```
 */
export class State<T = any> extends Component<T> {
  readonly type = "state";
  readonly #initial: T | (() => T) | undefined;

  /** `value`: the initial value, or a function that makes it for each new session. */
  constructor(value?: T | (() => T)) {
    super({});
    this.#initial = value;
  }

  /** A new session's value. */
  initialValue(): T {
    const v = this.#initial;
    if (typeof v === "function") return (v as () => T)();
    try {
      return structuredClone(v) as T;
    } catch {
      // Not cloneable (functions, class instances with methods): share the one given.
      return v as T;
    }
  }

  override get skipApi(): boolean {
    return true;
  }

  /** Never called: the app model reads State inputs from the session instead. */
  preprocess(payload: unknown): T {
    return payload as T;
  }

  /** State outputs travel as null: clients drop them by position. */
  postprocess(): null {
    return null;
  }

  apiInfo(): Record<string, unknown> {
    return {};
  }

  examplePayload(): unknown {
    return null;
  }

  override configProps(): Record<string, unknown> {
    // The value stays on the server (it may not even be JSON).
    return { time_to_live: null, value: null, name: this.type };
  }
}
