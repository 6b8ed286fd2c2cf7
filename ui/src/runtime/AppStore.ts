import type { ComponentConfig } from "../config/AppConfig.ts";
import type { JobStatus } from "./JobStatus.ts";
import { Observable } from "./Observable.ts";

/**
 * The page's state: each component's current value (in wire form: FileData for files, LabelData
 * for labels, ...), its props as updated by functions, and the status of the event feeding it.
 */
export class AppStore extends Observable {
  readonly #base = new Map<number, ComponentConfig>();
  readonly #values = new Map<number, unknown>();
  readonly #props = new Map<number, Readonly<Record<string, unknown>>>();
  readonly #status = new Map<number, JobStatus>();

  constructor(components: readonly ComponentConfig[]) {
    super();
    for (const c of components) {
      this.#base.set(c.id, c);
      this.#values.set(c.id, c.props["value"] ?? null);
    }
  }

  /** The component's config, or undefined for an unknown id. */
  component(id: number): ComponentConfig | undefined {
    return this.#base.get(id);
  }

  value(id: number): unknown {
    return this.#values.get(id) ?? null;
  }

  /** The config props with every update applied. */
  props(id: number): Readonly<Record<string, unknown>> {
    return this.#props.get(id) ?? this.#base.get(id)?.props ?? {};
  }

  status(id: number): JobStatus | null {
    return this.#status.get(id) ?? null;
  }

  /** The value in the config (what Clear restores). */
  initialValue(id: number): unknown {
    return this.#base.get(id)?.props["value"] ?? null;
  }

  /** Sets a value; returns whether it changed (by identity). */
  setValue(id: number, value: unknown): boolean {
    if (this.#values.get(id) === value) return false;
    this.#values.set(id, value);
    this.changed();
    return true;
  }

  /** Merges prop updates (Gradio's `{__type__: "update", ...}` besides `value`). */
  patchProps(id: number, patch: Readonly<Record<string, unknown>>): void {
    this.#props.set(id, { ...this.props(id), ...patch });
    this.changed();
  }

  /** Something outside the values changed (an event started or ended): re-render. */
  touch(): void {
    this.changed();
  }

  setStatus(id: number, status: JobStatus | null): void {
    if (status === null) this.#status.delete(id);
    else this.#status.set(id, status);
    this.changed();
  }
}
