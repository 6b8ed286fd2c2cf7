import { useState } from "preact/hooks";
import { isFileData } from "../config/AppConfig.ts";
import { fileName } from "./fileName.ts";
import { num, type WidgetProps } from "./WidgetProps.ts";

/** How a sample value reads in the table. */
function sampleText(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "string") return v.length > 80 ? `${v.slice(0, 77)}…` : v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (isFileData(v)) return fileName(v);
  const s = JSON.stringify(v);
  return s.length > 80 ? `${s.slice(0, 77)}…` : s;
}

/** Keeps a click or key on a sample's player from also picking the sample. */
const stop = (e: Event) => e.stopPropagation();

/**
 * One cell: an image sample as a thumbnail, an audio sample as a small player (both fetched
 * through the file route: the server lets users read the app's example files), the rest as text.
 */
function SampleCell({ value, type, ctx }: { value: unknown; type: string | undefined; ctx: WidgetProps["ctx"] }) {
  if (isFileData(value) && type === "image") {
    return (
      <img
        class="example-thumb"
        data-testid="example-thumb"
        src={ctx.endpoints.fileUrl(value)}
        alt={fileName(value)}
        loading="lazy"
      />
    );
  }
  if (isFileData(value) && type === "audio") {
    return (
      <audio
        class="example-audio"
        data-testid="example-audio"
        controls
        preload="none"
        src={ctx.endpoints.fileUrl(value)}
        aria-label={fileName(value)}
        onClick={stop}
        onKeyDown={stop}
      />
    );
  }
  return <>{sampleText(value)}</>;
}

/**
 * Examples (Gradio's Dataset): a table of samples; picking one (click, Enter or Space) fills the
 * inputs. The app model loads examples through the dataset's `click` listener (the server turns
 * the sample index into input values, files included); without one, the page fills the inputs
 * from the samples itself. A one-column table lays its samples out as a wrapping row of cards.
 */
export function Examples({ id, props, inputId, labelId, ctx }: WidgetProps) {
  const samples = Array.isArray(props["samples"]) ? (props["samples"] as unknown[][]) : [];
  const headers = Array.isArray(props["headers"]) ? (props["headers"] as string[]) : [];
  const perPage = Math.max(1, num(props, "samples_per_page", 10));
  const [page, setPage] = useState(0);
  const pages = Math.ceil(samples.length / perPage);
  const shown = samples.slice(page * perPage, (page + 1) * perPage);
  const pick = (index: number) => ctx.runtime.loadExample(id, index);
  const types = Array.isArray(props["components"]) ? (props["components"] as string[]) : [];
  const columns = samples[0]?.length ?? 0;
  const showHeaders = headers.some((h) => h !== "") && columns > 1;
  return (
    <div class="examples" id={inputId}>
      <table class={`examples-table${columns === 1 ? " cards" : ""}`} aria-labelledby={labelId}>
        {showHeaders && (
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
          {shown.map((row, i) => {
            const index = page * perPage + i;
            const cells = Array.isArray(row) ? row : [row];
            return (
              <tr
                key={index}
                class="example-row"
                tabIndex={0}
                role="button"
                data-testid="example"
                aria-label={`Example ${index + 1}: ${cells.map(sampleText).join(", ")}`}
                onClick={() => pick(index)}
                onKeyDown={(e) => {
                  if (e.key === "Enter" || e.key === " ") {
                    e.preventDefault();
                    pick(index);
                  }
                }}
              >
                {cells.map((c, j) => (
                  <td key={j}>
                    <SampleCell value={c} type={types[j]} ctx={ctx} />
                  </td>
                ))}
              </tr>
            );
          })}
        </tbody>
      </table>
      {pages > 1 && (
        <nav class="pages" aria-label="Example pages">
          {Array.from({ length: pages }, (_, p) => (
            <button
              key={p}
              type="button"
              class="page-button"
              aria-current={p === page ? "page" : undefined}
              onClick={() => setPage(p)}
            >
              {p + 1}
            </button>
          ))}
        </nav>
      )}
    </div>
  );
}
