/**
 * What a stream's sink did to its HTTP response, without a socket: each socket write in order
 * (headers flushed alone, or the chunks corked together), and the calls a test may count.
 */
export class FakeResponse {
  readonly writes: string[] = [];
  ended = false;
  headersSent = false;
  /** `end` calls, and listeners registered (`once`). */
  ends = 0;
  listeners = 0;
  #corked = 0;
  #buffered = "";
  readonly writableHighWaterMark = 16_384;
  readonly writableNeedDrain = false;
  readonly socket = null;
  /** Corks not yet uncorked. */
  get corked(): number {
    return this.#corked;
  }
  writeHead(): this {
    return this;
  }
  cork(): void {
    this.#corked++;
  }
  uncork(): void {
    if (--this.#corked === 0) this.#out();
  }
  flushHeaders(): void {
    this.writes.push("<headers>");
    this.headersSent = true;
  }
  write(chunk: string): boolean {
    this.#buffered += chunk;
    if (this.#corked === 0) this.#out();
    return true;
  }
  end(chunk?: string): void {
    this.#buffered += chunk ?? "";
    this.ended = true;
    this.ends++;
    this.#out();
  }
  once(): this {
    this.listeners++;
    return this;
  }
  #out(): void {
    if (this.#buffered === "") return;
    this.writes.push(this.#buffered);
    this.#buffered = "";
  }
}
