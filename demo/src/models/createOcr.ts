/**
 * OCR with tesseract.js: a pool of Tesseract workers behind one scheduler, so that as many images
 * are read at once as the queue lets run (`concurrencyCount`). Everything loads from node_modules:
 * the wasm core from tesseract.js-core, the English model from @tesseract.js-data/eng.
 */
import { createRequire } from "node:module";
import { createScheduler, createWorker, OEM } from "tesseract.js";

/** What @tesseract.js-data/eng exports (it ships no types). */
interface TessData {
  readonly code: string;
  readonly gzip: boolean;
  readonly langPath: string;
}

/** A loaded OCR pool. */
export interface Ocr {
  /** Reads the text in an image (PNG, JPEG, ... as bytes). */
  recognize(image: Buffer): Promise<{ text: string; confidence: number }>;
  /** Stops every worker thread. */
  close(): Promise<void>;
}

/** Starts `workers` Tesseract workers (each a thread with its own copy of the model, ~0.5 s to start). */
export async function createOcr(workers: number): Promise<Ocr> {
  const eng = createRequire(import.meta.url)("@tesseract.js-data/eng") as TessData;
  const scheduler = createScheduler();
  const started = await Promise.all(
    Array.from({ length: Math.max(1, workers) }, () =>
      // cacheMethod "none": otherwise tesseract.js writes a 23 MB eng.traineddata into the cwd.
      createWorker(eng.code, OEM.LSTM_ONLY, { langPath: eng.langPath, gzip: eng.gzip, cacheMethod: "none" }),
    ),
  );
  for (const w of started) scheduler.addWorker(w);
  return {
    async recognize(image) {
      const { data } = await scheduler.addJob("recognize", image);
      return { text: data.text.trim(), confidence: data.confidence };
    },
    close: () => scheduler.terminate() as Promise<void>,
  };
}
