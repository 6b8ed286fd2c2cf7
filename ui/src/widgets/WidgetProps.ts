import type { Endpoints } from "../config/Endpoints.ts";
import type { AppRuntime } from "../runtime/AppRuntime.ts";
import type { ToastStore } from "../runtime/ToastStore.ts";

/** What every widget needs besides its own config. */
export interface WidgetContext {
  readonly endpoints: Endpoints;
  readonly runtime: AppRuntime;
  readonly toasts: ToastStore;
}

/** Props of a widget: one component of the config, with its current value. */
export interface WidgetProps {
  readonly id: number;
  readonly type: string;
  /** Config props with every update applied. */
  readonly props: Readonly<Record<string, unknown>>;
  /** Current value, in wire form. */
  readonly value: unknown;
  /** Whether the user may edit it. */
  readonly interactive: boolean;
  /** id of the focusable control; the block's `<label for>` points at it. */
  readonly inputId: string;
  /** id of the block's label, for controls labelled with aria-labelledby (groups). */
  readonly labelId: string;
  readonly ctx: WidgetContext;
}

/** A string prop, or `fallback`. */
export function str(props: Readonly<Record<string, unknown>>, key: string, fallback = ""): string {
  const v = props[key];
  return typeof v === "string" ? v : fallback;
}

/** A finite number prop, or `fallback`. */
export function num<T extends number | null | undefined>(
  props: Readonly<Record<string, unknown>>,
  key: string,
  fallback: T,
): number | T {
  const v = props[key];
  return typeof v === "number" && Number.isFinite(v) ? v : fallback;
}

/** Gradio's `[display, value]` choices (plain values are shown as themselves). */
export function choices(props: Readonly<Record<string, unknown>>): [string, unknown][] {
  const raw = props["choices"];
  if (!Array.isArray(raw)) return [];
  return raw.map((c): [string, unknown] =>
    Array.isArray(c) ? [String(c[0]), c.length > 1 ? c[1] : c[0]] : [String(c), c],
  );
}
