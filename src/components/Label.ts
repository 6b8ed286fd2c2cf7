import { Component, outputError, type ComponentOptions } from "./Component.ts";

/** A label as the function gives or receives it: a class name, or confidences by class name. */
export type LabelValue = string | Record<string, number>;

/** Options of {@link Label}. */
export interface LabelOptions extends ComponentOptions {
  /** Initial value: a label or confidences. */
  value?: LabelValue | null;
  /** Show only the top N confidences. Default: all. */
  numTopClasses?: number;
  /** Show the top label as a heading. Default true. */
  showHeading?: boolean;
}

/** The wire form of a label (Gradio's LabelData). */
export interface LabelData {
  label: string | number | null;
  confidences: { label: string | number | null; confidence: number | null }[] | null;
}

/**
 * A classification result. The function returns a string (a label), a number, or a
 * `Record<string, number>` of confidences (also a `Map`); confidences are sorted, highest first,
 * cut to `numTopClasses`, and the top one becomes the label:
 * `{ label: "cat", confidences: [{ label: "cat", confidence: 0.9 }, ...] }`. As an input (rare)
 * the function receives the confidences as a record, or the label string.
 */
export class Label extends Component<LabelValue | null> {
  readonly type = "label";
  readonly value: LabelValue | null;
  readonly numTopClasses: number | undefined;
  readonly showHeading: boolean;

  constructor(options: LabelOptions = {}) {
    super(options);
    this.value = options.value ?? null;
    this.numTopClasses = options.numTopClasses;
    this.showHeading = options.showHeading ?? true;
  }

  override validate(payload: unknown): string | null {
    if (payload === null || payload === undefined) return null;
    if (typeof payload !== "object" || Array.isArray(payload))
      return `Expected { label, confidences } for ${this.describe()}.`;
    const c = (payload as { confidences?: unknown }).confidences;
    if (c !== undefined && c !== null && !Array.isArray(c)) return "`confidences` must be a list.";
    return null;
  }

  preprocess(payload: unknown): LabelValue | null {
    if (payload === null || typeof payload !== "object") return null;
    const data = payload as Partial<LabelData>;
    if (Array.isArray(data.confidences) && data.confidences.length > 0) {
      const out: Record<string, number> = {};
      for (const c of data.confidences)
        if (c && c.label !== null && c.label !== undefined) out[String(c.label)] = Number(c.confidence ?? 0);
      return out;
    }
    return data.label === null || data.label === undefined ? null : String(data.label);
  }

  postprocess(value: unknown): LabelData | null {
    if (value === null || value === undefined) return null;
    if (typeof value === "string" || typeof value === "number") return { label: String(value), confidences: null };
    const entries =
      value instanceof Map
        ? [...(value as Map<unknown, unknown>).entries()]
        : typeof value === "object" && !Array.isArray(value)
          ? Object.entries(value)
          : null;
    if (entries === null) throw outputError(this, "a label string or a record of confidences", value);
    if ("confidences" in (value as object) && Array.isArray((value as LabelData).confidences)) {
      const data = value as LabelData; // already LabelData: Gradio passes it through
      return { label: data.label ?? null, confidences: data.confidences };
    }
    const pairs: [string, number][] = [];
    for (const [k, v] of entries) {
      if (typeof v !== "number" || !Number.isFinite(v)) throw outputError(this, "finite numbers as confidences", v);
      pairs.push([String(k), v]);
    }
    pairs.sort((a, b) => b[1] - a[1]);
    const top = this.numTopClasses === undefined ? pairs : pairs.slice(0, this.numTopClasses);
    return { label: top[0]?.[0] ?? null, confidences: top.map(([label, confidence]) => ({ label, confidence })) };
  }

  apiInfo(): Record<string, unknown> {
    const labelType = {
      anyOf: [{ type: "string" }, { type: "integer" }, { type: "number" }, { type: "null" }],
      default: null,
      title: "Label",
    };
    return {
      $defs: {
        LabelConfidence: {
          properties: {
            label: labelType,
            confidence: { anyOf: [{ type: "number" }, { type: "null" }], default: null, title: "Confidence" },
          },
          title: "LabelConfidence",
          type: "object",
        },
      },
      properties: {
        label: labelType,
        confidences: {
          anyOf: [{ items: { $ref: "#/$defs/LabelConfidence" }, type: "array" }, { type: "null" }],
          default: null,
          title: "Confidences",
        },
      },
      title: "LabelData",
      type: "object",
      additional_description: null,
    };
  }

  examplePayload(): unknown {
    return {
      label: "Cat",
      confidences: [
        { label: "cat", confidence: 0.9 },
        { label: "dog", confidence: 0.1 },
      ],
    };
  }

  override configValue(): unknown {
    return this.postprocess(this.value);
  }

  override configProps(): Record<string, unknown> {
    return {
      ...super.configProps(),
      num_top_classes: this.numTopClasses ?? null,
      show_heading: this.showHeading,
      color: null,
    };
  }
}
