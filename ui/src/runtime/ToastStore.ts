import { Observable } from "./Observable.ts";

/** One toast. */
export interface Toast {
  readonly id: number;
  readonly level: "info" | "warning" | "success" | "error";
  readonly title: string;
  readonly message: string;
}

/**
 * Toasts: the function's info/warning/success logs, errors, and refusals such as a full queue.
 * Each goes away after its duration (null: when dismissed).
 */
export class ToastStore extends Observable {
  #toasts: Toast[] = [];
  #nextId = 1;

  get toasts(): readonly Toast[] {
    return this.#toasts;
  }

  /** Shows a toast; `durationMs` null keeps it until dismissed. Returns its id. */
  show(level: Toast["level"], title: string, message: string, durationMs: number | null): number {
    const id = this.#nextId++;
    this.#toasts = [...this.#toasts, { id, level, title, message }];
    this.changed();
    if (durationMs !== null && durationMs > 0) setTimeout(() => this.dismiss(id), durationMs);
    return id;
  }

  dismiss(id: number): void {
    const next = this.#toasts.filter((t) => t.id !== id);
    if (next.length === this.#toasts.length) return;
    this.#toasts = next;
    this.changed();
  }
}
