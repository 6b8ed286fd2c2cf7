import type { WidgetProps } from "./WidgetProps.ts";

/** A table (Gradio's `{headers, data}`), read-only. */
export function Dataframe({ value, inputId, labelId }: WidgetProps) {
  const v = (typeof value === "object" && value !== null ? value : {}) as { headers?: unknown; data?: unknown };
  const headers = Array.isArray(v.headers) ? v.headers.map(String) : [];
  const rows = Array.isArray(v.data) ? (v.data as unknown[]) : [];
  return (
    <div class="table-wrap" id={inputId} tabIndex={0}>
      <table class="dataframe" aria-labelledby={labelId}>
        {headers.length > 0 && (
          <thead>
            <tr>
              {headers.map((h, i) => (
                <th key={i} scope="col">
                  {h}
                </th>
              ))}
            </tr>
          </thead>
        )}
        <tbody>
          {rows.map((r, i) => (
            <tr key={i}>
              {(Array.isArray(r) ? r : [r]).map((c, j) => (
                <td key={j}>
                  {c === null || c === undefined ? "" : typeof c === "object" ? JSON.stringify(c) : String(c)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
