import { applyDiff, type DiffEdit } from "../../../src/protocol/diff.ts";
import type { AppConfig, DependencyConfig } from "../config/AppConfig.ts";
import type { AppStore } from "./AppStore.ts";
import { withProgress, type JobStatus } from "./JobStatus.ts";
import type { ToastStore } from "./ToastStore.ts";
import type { EventHandle, EventMessage, Transport } from "../transport/Transport.ts";
import { describeJoinError, describeRunError } from "./describeError.ts";

/** A running event of one dependency. */
interface Job {
  readonly fnIndex: number;
  handle: EventHandle | null;
}

/** The transports a runtime sends events through. */
export interface Transports {
  /** For queued dependencies: SSE or WebSocket, one connection for the tab. */
  readonly queue: Transport;
  /** For dependencies that skip the queue: `POST /run/{name}`. */
  readonly direct: Transport;
}

/** Gradio's `{ __type__: "update", ... }`: new props, and maybe a value. */
function isUpdate(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && (v as Record<string, unknown>)["__type__"] === "update";
}

/**
 * Runs the app's event listeners in the page: when a component fires an event, it gathers the
 * inputs of each dependency listening to it, sends the event through the queue (or straight to
 * `/run` when the dependency skips the queue), turns queue messages into output status, applies
 * streamed chunks (diffs after the first, as sse_v2+ sends them) and final values to the outputs,
 * shows logs and errors as toasts, and fires the `.then()` chain.
 */
export class AppRuntime {
  readonly #config: AppConfig;
  readonly #store: AppStore;
  readonly #toasts: ToastStore;
  readonly #transports: Transports;
  /** Dependency indexes by "componentId:event". */
  readonly #byTrigger = new Map<string, number[]>();
  readonly #running = new Map<number, Set<Job>>();
  /** always_last: a trigger that came while running, run once the current event ends. */
  readonly #rerun = new Map<number, number | null>();
  readonly #uploads = new Set<Promise<unknown>>();
  readonly #interactive = new Set<number>();
  /** Interface without a Clear listener of its own: its Submit button, and what Clear resets. */
  readonly #interfaceClear: { readonly submitId: number; readonly resets: readonly number[] } | null;

  constructor(config: AppConfig, store: AppStore, toasts: ToastStore, transports: Transports) {
    this.#config = config;
    this.#store = store;
    this.#toasts = toasts;
    this.#transports = transports;
    config.dependencies.forEach((dep, index) => {
      for (const [id, event] of dep.targets) {
        const key = `${id}:${event}`;
        this.#byTrigger.set(key, [...(this.#byTrigger.get(key) ?? []), index]);
      }
    });
    // Gradio's rule: a component is editable when the app says so, else when some event reads it.
    const inputs = new Set(config.dependencies.flatMap((d) => d.inputs));
    const outputs = new Set(config.dependencies.flatMap((d) => d.outputs));
    for (const c of config.components) {
      const p = c.props["interactive"];
      if (p === true || (p !== false && (inputs.has(c.id) || !outputs.has(c.id)))) this.#interactive.add(c.id);
    }
    this.#interfaceClear = findInterfaceClear(config);
  }

  /**
   * The Submit button of an Interface whose config has no Clear listener: the page puts a Clear
   * button beside it (Gradio's Interface always has one). Null otherwise.
   */
  get interfaceSubmitId(): number | null {
    return this.#interfaceClear?.submitId ?? null;
  }

  /** Interface's Clear: inputs and outputs back to their initial values, statuses gone. */
  clearInterface(): void {
    for (const id of this.#interfaceClear?.resets ?? []) {
      this.#store.setValue(id, this.#store.initialValue(id));
      this.#store.setStatus(id, null);
    }
  }

  /** Whether the user may edit component `id`. */
  isInteractive(id: number): boolean {
    return this.#interactive.has(id);
  }

  /** Whether some dependency listens to `event` of component `id` (e.g. Enter submits a textbox). */
  listens(id: number, event: string): boolean {
    return this.#byTrigger.has(`${id}:${event}`);
  }

  /** Whether a dependency fired by `id` is running (for Stop buttons and busy states). */
  isRunning(fnIndex: number): boolean {
    return (this.#running.get(fnIndex)?.size ?? 0) > 0;
  }

  /** Fires the app's load events. */
  start(): void {
    for (const [key, deps] of this.#byTrigger) {
      if (key.endsWith(":load")) for (const d of deps) void this.run(d, null);
    }
  }

  /** The user changed a value: store it and fire `input` and `change`. */
  userInput(id: number, value: unknown): void {
    if (!this.#store.setValue(id, value)) return;
    this.fire(id, "input");
    this.fire(id, "change");
  }

  /** A component fired `event` (click, submit, upload, select, ...). */
  fire(id: number, event: string): void {
    for (const d of this.#byTrigger.get(`${id}:${event}`) ?? []) void this.run(d, id);
  }

  /**
   * The user picked example `index` of the dataset `datasetId`. The app model's listener on the
   * dataset's click turns the index into input values (files included); without a listener, the
   * page copies the sample into the inputs itself.
   */
  loadExample(datasetId: number, index: number): void {
    this.#store.setValue(datasetId, index);
    if (this.listens(datasetId, "click") || this.listens(datasetId, "select")) {
      this.fire(datasetId, "click");
      this.fire(datasetId, "select");
      return;
    }
    const props = this.#store.props(datasetId);
    const ids = Array.isArray(props["component_ids"]) ? (props["component_ids"] as number[]) : [];
    const row = (Array.isArray(props["samples"]) ? (props["samples"] as unknown[][]) : [])[index] ?? [];
    ids.forEach((id, j) => this.userInput(id, row[j] ?? null));
  }

  /** Registers an upload in flight: events wait for it before they read their inputs. */
  trackUpload<T>(upload: Promise<T>): Promise<T> {
    this.#uploads.add(upload);
    const done = () => this.#uploads.delete(upload);
    upload.then(done, done);
    return upload;
  }

  /** Runs dependency `fnIndex`, fired by component `triggerId`. */
  async run(fnIndex: number, triggerId: number | null): Promise<void> {
    const dep = this.#config.dependencies[fnIndex];
    if (dep === undefined) return;
    for (const c of dep.cancels ?? []) this.cancel(c);
    if (dep.types?.cancel === true) return;
    const mode = dep.trigger_mode ?? "once";
    if (this.isRunning(fnIndex) && mode !== "multiple") {
      if (mode === "always_last") this.#rerun.set(fnIndex, triggerId);
      return;
    }
    if (dep.backend_fn === false) {
      // Front-end-only listeners (Interface's Clear): restore the outputs' initial values.
      for (const id of dep.outputs) this.#setOutput(id, this.#store.initialValue(id));
      for (const id of dep.outputs) this.#store.setStatus(id, null);
      this.#after(fnIndex, true);
      return;
    }
    const job: Job = { fnIndex, handle: null };
    const running = this.#running.get(fnIndex) ?? new Set<Job>();
    running.add(job);
    this.#running.set(fnIndex, running);
    this.#store.touch();

    let status: JobStatus = {
      stage: "pending",
      submittedAt: performance.now(),
      rank: null,
      queueSize: null,
      expectedEndAt: null,
      progress: null,
      loadingUntil: null,
      message: null,
      showProgress: dep.show_progress ?? "full",
    };
    const setStatus = (next: JobStatus | null) => {
      if (next !== null) status = next;
      if (dep.show_progress === "hidden") return;
      for (const id of dep.outputs) this.#store.setStatus(id, next);
    };
    setStatus(status);

    if (this.#uploads.size > 0) await Promise.allSettled([...this.#uploads]);
    const data = dep.inputs.map((id) => (this.#store.component(id)?.type === "state" ? null : this.#store.value(id)));
    const transport = this.#skipsQueue(dep) ? this.#transports.direct : this.#transports.queue;
    let last: unknown[] | null = null;

    const onMessage = (m: EventMessage) => {
      const now = performance.now();
      switch (m.msg) {
        case "estimation":
          setStatus({
            ...status,
            stage: "queued",
            rank: m.rank,
            queueSize: m.queue_size,
            expectedEndAt: m.rank_eta === null ? status.expectedEndAt : now + m.rank_eta * 1000,
          });
          return;
        case "process_starts":
          setStatus({
            ...status,
            stage: "running",
            rank: null,
            expectedEndAt: m.eta === null ? null : now + m.eta * 1000,
          });
          return;
        case "progress":
          setStatus(withProgress(status, m.progress_data, now));
          return;
        case "log":
          if (m.visible !== false) {
            const level = m.level === "warning" ? "warning" : m.level === "success" ? "success" : "info";
            const title = m.title || level.charAt(0).toUpperCase() + level.slice(1);
            this.#toasts.show(level, title, m.log, m.duration === null ? null : (m.duration ?? 10) * 1000);
          }
          return;
        case "process_generating": {
          const chunk = Array.isArray(m.output.data) ? m.output.data : [];
          // The first chunk carries full values; later ones carry a list of edits per output.
          last =
            last === null
              ? chunk
              : last.map((prev, i) => applyDiff(structuredClone(prev), (chunk[i] ?? []) as DiffEdit[]));
          this.#setOutputs(dep, last);
          setStatus({ ...status, stage: "running" });
          return;
        }
        case "process_completed":
          if (m.success && "data" in m.output) {
            this.#setOutputs(dep, Array.isArray(m.output.data) ? m.output.data : []);
            setStatus(null);
            if (dep.scroll_to_output === true) scrollIntoView(dep.outputs[0]);
            this.#finish(job, true);
          } else if (m.success) {
            // Gradio answers a cancel with an empty success: nothing to show.
            setStatus(null);
            this.#finish(job, false);
          } else {
            const err = describeRunError(m.output, m.title);
            if (err.visible) this.#toasts.show("error", err.title, err.message, null);
            setStatus({ ...status, stage: "error", message: err.message, progress: null });
            this.#finish(job, false);
          }
          return;
        case "join_error": {
          const err = describeJoinError(m.status, m.detail, m.retry_after);
          this.#toasts.show("error", err.title, err.message, null);
          setStatus(null);
          this.#finish(job, false);
          return;
        }
        case "connection_lost":
          this.#toasts.show("error", "Connection lost", m.message, null);
          setStatus(null);
          this.#finish(job, false);
          return;
        default:
          return;
      }
    };
    job.handle = transport.join(
      { fnIndex, data, apiName: typeof dep.api_name === "string" ? dep.api_name : null, triggerId },
      onMessage,
    );
  }

  /** Stops every running event of dependency `fnIndex`. */
  cancel(fnIndex: number): void {
    for (const job of this.#running.get(fnIndex) ?? []) job.handle?.cancel();
  }

  /** Gradio's client rule: a dependency's own `queue` wins; null or absent follows `enable_queue`. */
  #skipsQueue(dep: DependencyConfig): boolean {
    return dep.queue !== null && dep.queue !== undefined ? !dep.queue : this.#config.enable_queue !== true;
  }

  #finish(job: Job, success: boolean): void {
    const running = this.#running.get(job.fnIndex);
    running?.delete(job);
    this.#store.touch();
    this.#after(job.fnIndex, success);
    if (this.#rerun.has(job.fnIndex) && !this.isRunning(job.fnIndex)) {
      const trigger = this.#rerun.get(job.fnIndex) ?? null;
      this.#rerun.delete(job.fnIndex);
      void this.run(job.fnIndex, trigger);
    }
  }

  /** Fires the `.then()` / `.success()` / `.failure()` listeners of `fnIndex`. */
  #after(fnIndex: number, success: boolean): void {
    this.#config.dependencies.forEach((d, i) => {
      if (d.trigger_after !== fnIndex) return;
      if (d.trigger_only_on_success === true && !success) return;
      if (d.trigger_only_on_failure === true && success) return;
      void this.run(i, null);
    });
  }

  #setOutputs(dep: DependencyConfig, values: readonly unknown[]): void {
    dep.outputs.forEach((id, i) => {
      if (this.#store.component(id)?.type === "state") return;
      if (i < values.length) this.#setOutput(id, values[i]);
    });
  }

  #setOutput(id: number, value: unknown): void {
    if (isUpdate(value)) {
      const { __type__: _type, value: v, ...props } = value;
      if (Object.keys(props).length > 0) this.#store.patchProps(id, props);
      if (!("value" in value)) return;
      value = v;
    }
    if (this.#store.setValue(id, value)) this.fire(id, "change");
  }
}

/** The Interface's main listener (fired by a button click) when the app has no Clear listener. */
function findInterfaceClear(config: AppConfig): { submitId: number; resets: number[] } | null {
  if (config.mode !== "interface" || config.dependencies.some((d) => d.backend_fn === false)) return null;
  const types = new Map(config.components.map((c) => [c.id, c.type]));
  for (const dep of config.dependencies) {
    const button = dep.targets.find(([id, event]) => event === "click" && types.get(id) === "button");
    if (button === undefined) continue;
    const resets = [...dep.inputs, ...dep.outputs].filter((id) => types.get(id) !== "state");
    return { submitId: button[0], resets: [...new Set(resets)] };
  }
  return null;
}

/** Brings an output into view once its result is in (Gradio's scroll_to_output), if it is off screen. */
function scrollIntoView(id: number | undefined): void {
  if (id === undefined || typeof document === "undefined") return;
  document.getElementById(`component-${id}`)?.scrollIntoView({ block: "nearest", behavior: "smooth" });
}
