/**
 * Child-process entry for the `onnxBatching` scenario: serves the showcase's ONNX orientation
 * classifier (demo/) as an Interface, Image → Label, `batch: true` with the `maxBatchSize` given
 * in argv, concurrencyCount 1. Prints `LISTENING <url>` when ready; exits on SIGTERM.
 */
import { Image, Interface, Label } from "usher-ml";
import { createOrientationClassifier } from "../../demo/src/models/createOrientationClassifier.ts";

const maxBatchSize = Number(process.argv[2] ?? 16);
if (!Number.isInteger(maxBatchSize) || maxBatchSize < 1)
  throw new TypeError(`Expected a maxBatchSize ≥ 1, got ${process.argv[2]}`);

const classifier = await createOrientationClassifier();
const demo = new Interface({
  fn: async (images: (Buffer | null)[]) => [await classifier.classify(images.map((x) => x ?? Buffer.alloc(0)))],
  inputs: new Image({ type: "buffer" }),
  outputs: new Label(),
  batch: true,
  maxBatchSize,
  apiName: "predict",
});
demo.queue({ concurrencyCount: 1 });
const app = await demo.launch({ port: 0, host: "127.0.0.1", quiet: true, logLevel: false });
console.log(`LISTENING ${app.url}`);
