/**
 * A word-level Markov chain: the streaming demo's "model". It is not a language model and knows
 * nothing but the short text it was built from (demo/src/models/corpus.txt, written for this
 * repository and dedicated to the public domain). It exists to show token-by-token streaming
 * without shipping weights.
 */
import { readFileSync } from "node:fs";

/** A seeded pseudo-random generator (mulberry32), so that one prompt always gives one text. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a hash of a string, as a seed. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Order-2 word Markov chain over a text. */
export class MarkovChain {
  /** "w1 w2" → the words that followed that pair in the text (repeats keep the frequencies). */
  readonly #next = new Map<string, string[]>();
  /** Every word → the words that followed it (fallback when a pair was never seen). */
  readonly #after = new Map<string, string[]>();
  readonly #words: readonly string[];

  constructor(text: string) {
    this.#words = text.split(/\s+/).filter((w) => w !== "");
    const w = this.#words;
    for (let i = 0; i + 1 < w.length; i++) {
      push(this.#after, w[i]!.toLowerCase(), w[i + 1]!);
      if (i + 2 < w.length) push(this.#next, `${w[i]!.toLowerCase()} ${w[i + 1]!.toLowerCase()}`, w[i + 2]!);
    }
  }

  /** Builds the chain from the bundled public-domain text. */
  static fromBundledText(): MarkovChain {
    return new MarkovChain(readFileSync(new URL("./corpus.txt", import.meta.url), "utf8"));
  }

  /**
   * Yields up to `count` words continuing `prompt`, one at a time. The same prompt always gives
   * the same words; a prompt whose last word the text never has starts from "The".
   */
  *generate(prompt: string, count: number): Generator<string, void, void> {
    const random = seeded(hash(prompt));
    const pick = (list: readonly string[] | undefined): string | undefined =>
      list === undefined || list.length === 0 ? undefined : list[Math.floor(random() * list.length)];
    const words = prompt.split(/\s+/).filter((w) => w !== "");
    let prev = words.at(-2)?.toLowerCase() ?? "";
    let last = words.at(-1)?.toLowerCase() ?? "";
    for (let i = 0; i < count; i++) {
      const word = pick(this.#next.get(`${prev} ${last}`)) ?? pick(this.#after.get(last)) ?? "The";
      yield word;
      prev = last;
      last = word.toLowerCase();
    }
  }
}

function push(map: Map<string, string[]>, key: string, value: string): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}
