/**
 * Incremental Server-Sent Events parser: feed it decoded text chunks as they arrive (a chunk may
 * end anywhere, even inside a line or between `\r` and `\n`) and it calls back once per complete
 * event with its `data` (multi-line data joined by `\n`). Comment lines (`: ping`) and `id:` /
 * `retry:` fields are ignored; events without data are not dispatched.
 */
export class SseParser {
  #buffer = "";
  #data: string[] = [];
  #event: string | null = null;
  readonly #onEvent: (data: string, event: string | null) => void;

  /** @param onEvent Called for each complete event, in order. */
  constructor(onEvent: (data: string, event: string | null) => void) {
    this.#onEvent = onEvent;
  }

  /** Feeds the next chunk of the stream (already decoded to text). */
  push(chunk: string): void {
    const text = this.#buffer === "" ? chunk : this.#buffer + chunk;
    let pos = 0;
    let cr = text.indexOf("\r");
    for (;;) {
      const lf = text.indexOf("\n", pos);
      if (cr !== -1 && cr < pos) cr = text.indexOf("\r", pos);
      let end: number;
      let next: number;
      if (cr !== -1 && (lf === -1 || cr < lf)) {
        // A lone \r ends a line too, but a \r at the very end may be the first half of \r\n.
        if (cr === text.length - 1) break;
        end = cr;
        next = lf === cr + 1 ? cr + 2 : cr + 1;
      } else if (lf !== -1) {
        end = lf;
        next = lf + 1;
      } else {
        break;
      }
      this.#line(text, pos, end);
      pos = next;
    }
    this.#buffer = pos === 0 ? text : text.slice(pos);
  }

  /** Dispatches a final event that was not followed by a blank line (call at end of stream). */
  end(): void {
    if (this.#buffer !== "") {
      this.#line(this.#buffer, 0, this.#buffer.length);
      this.#buffer = "";
    }
    this.#dispatch();
  }

  #line(text: string, start: number, end: number): void {
    if (start === end) {
      this.#dispatch();
      return;
    }
    if (text.charCodeAt(start) === 58 /* ":" */) return;
    const colon = text.indexOf(":", start);
    let field: string;
    let value: string;
    if (colon === -1 || colon >= end) {
      field = text.slice(start, end);
      value = "";
    } else {
      field = text.slice(start, colon);
      const valueStart = text.charCodeAt(colon + 1) === 32 /* " " */ ? colon + 2 : colon + 1;
      value = valueStart >= end ? "" : text.slice(valueStart, end);
    }
    if (field === "data") this.#data.push(value);
    else if (field === "event") this.#event = value;
  }

  #dispatch(): void {
    const data = this.#data;
    const event = this.#event;
    this.#event = null;
    if (data.length === 0) return;
    this.#data = [];
    this.#onEvent(data.length === 1 ? (data[0] as string) : data.join("\n"), event);
  }
}
