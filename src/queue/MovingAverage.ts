/**
 * The expected duration of one call of a function: the mean of its last {@link MovingAverage.WINDOW}
 * successful calls.
 *
 * Why a windowed mean rather than Gradio's all-time mean or an EWMA: it follows a change (a model
 * warming up, a GPU getting busy) within a bounded number of calls, one outlier moves it by at
 * most 1/WINDOW of its size, and it is exact arithmetic that tests and users can check by hand.
 * Before the first call completes, the developer's `expectedDurationMs` (if any) stands in.
 */
export class MovingAverage {
  /** Calls averaged over. */
  static readonly WINDOW = 20;

  readonly #seedMs: number | null;
  readonly #samples = new Float64Array(MovingAverage.WINDOW);
  #count = 0;
  #next = 0;
  #valueMs: number | null;

  /** `seedMs`: the value until the first sample (undefined: unknown). */
  constructor(seedMs?: number) {
    this.#seedMs = seedMs ?? null;
    this.#valueMs = this.#seedMs;
  }

  /** The mean of the recorded samples, else the seed, else null. */
  get valueMs(): number | null {
    return this.#valueMs;
  }

  /** Adds the duration of one successful call. */
  record(durationMs: number): void {
    this.#samples[this.#next] = durationMs;
    this.#next = (this.#next + 1) % MovingAverage.WINDOW;
    if (this.#count < MovingAverage.WINDOW) this.#count++;
    // Summing the window again (20 additions) keeps the mean exact, with no drift from a running sum.
    let sum = 0;
    for (let i = 0; i < this.#count; i++) sum += this.#samples[i] ?? 0;
    this.#valueMs = sum / this.#count;
  }
}
