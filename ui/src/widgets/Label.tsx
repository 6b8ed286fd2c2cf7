import type { WidgetProps } from "./WidgetProps.ts";

interface Confidence {
  readonly label: string | number | null;
  readonly confidence: number | null;
}

/** A classification: the top label as a heading and a bar per class with its confidence. */
export function Label({ props, value, inputId, labelId }: WidgetProps) {
  if (typeof value !== "object" || value === null) return <div class="empty" id={inputId} />;
  const v = value as { label?: unknown; confidences?: unknown };
  const confidences = Array.isArray(v.confidences) ? (v.confidences as Confidence[]) : [];
  const top =
    typeof props["num_top_classes"] === "number" ? confidences.slice(0, props["num_top_classes"]) : confidences;
  return (
    <div class="label-output" id={inputId}>
      {props["show_heading"] !== false && v.label !== null && v.label !== undefined && (
        <div class="label-heading" data-testid="label-heading">
          {String(v.label)}
        </div>
      )}
      {top.length > 0 && (
        <ul class="confidences" aria-labelledby={labelId}>
          {top.map((c, i) => {
            const pct = Math.round(Math.max(0, Math.min(1, c.confidence ?? 0)) * 100);
            return (
              <li key={i} class="confidence">
                <div class="confidence-text">
                  <span>{String(c.label)}</span>
                  <span>{pct}%</span>
                </div>
                <div
                  class="confidence-bar"
                  role="meter"
                  aria-label={String(c.label)}
                  aria-valuemin={0}
                  aria-valuemax={100}
                  aria-valuenow={pct}
                >
                  <div class="confidence-fill" style={{ width: `${pct}%` }} />
                </div>
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}
