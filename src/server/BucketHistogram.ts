import type { Registry } from "prom-client";

/** One labelled series: observations per bucket (not cumulative), their sum and count. */
interface Series {
  readonly labels: Readonly<Record<string, string>>;
  /** counts[i]: observations ≤ bounds[i] and > bounds[i - 1]; the last slot is +Inf. */
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

/** What prom-client's registry reads from a metric (`metric.get()`), for a histogram. */
interface HistogramSnapshot {
  readonly name: string;
  readonly help: string;
  readonly type: "histogram";
  readonly aggregator: "sum";
  readonly values: { labels: Record<string, string | number>; value: number; metricName: string }[];
}

/**
 * A Prometheus histogram with at most one label, registered in a prom-client {@link Registry} and
 * exposed exactly like prom-client's own (`_bucket` with cumulative `le`, `_sum`, `_count`).
 *
 * Why not prom-client's Histogram: its `observe` hashes the label object and searches the buckets
 * on every call, 2–3% of the CPU of an identity prediction, paid on every event. Here a series is
 * looked up by its one label value and cumulative counts are made only when scraped.
 */
export class BucketHistogram {
  readonly name: string;
  readonly help: string;
  readonly type = "histogram";
  readonly aggregator = "sum";
  readonly #bounds: readonly number[];
  readonly #labelName: string | null;
  readonly #series = new Map<string, Series>();

  /** `labelName` null: one unlabelled series. `bounds`: bucket upper bounds, ascending. */
  constructor(options: {
    name: string;
    help: string;
    bounds: readonly number[];
    labelName?: string;
    registry: Registry;
  }) {
    this.name = options.name;
    this.help = options.help;
    this.#bounds = options.bounds;
    this.#labelName = options.labelName ?? null;
    // The registry only needs name, type and get(); it formats the values like prom-client's own.
    options.registry.registerMetric(this as never);
    // Like prom-client: an unlabelled histogram shows its zero buckets before any observation.
    if (this.#labelName === null) this.#addSeries("");
  }

  #addSeries(labelValue: string): Series {
    const labels: Record<string, string> = this.#labelName === null ? {} : { [this.#labelName]: labelValue };
    const s: Series = { labels, counts: new Float64Array(this.#bounds.length + 1), sum: 0, count: 0 };
    this.#series.set(labelValue, s);
    return s;
  }

  /** Records one observation (`labelValue` ignored without a label). */
  observe(value: number, labelValue = ""): void {
    const key = this.#labelName === null ? "" : labelValue;
    const s = this.#series.get(key) ?? this.#addSeries(key);
    const bounds = this.#bounds;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] as number)) i++;
    s.counts[i] = (s.counts[i] as number) + 1;
    s.sum += value;
    s.count++;
  }

  /** The series in prom-client's format (called by the registry when scraped). */
  get(): HistogramSnapshot {
    const values: HistogramSnapshot["values"] = [];
    const bucketName = `${this.name}_bucket`;
    for (const s of this.#series.values()) {
      let cumulative = 0;
      for (let i = 0; i <= this.#bounds.length; i++) {
        cumulative += s.counts[i] as number;
        const le = i < this.#bounds.length ? (this.#bounds[i] as number) : "+Inf";
        values.push({ labels: { le, ...s.labels }, value: cumulative, metricName: bucketName });
      }
      values.push({ labels: { ...s.labels }, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { ...s.labels }, value: s.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: "histogram", aggregator: "sum", values };
  }

  /** Forgets every observation (prom-client's registry.resetMetrics calls it). */
  reset(): void {
    this.#series.clear();
  }
}
