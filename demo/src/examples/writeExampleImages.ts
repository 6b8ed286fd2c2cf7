/**
 * Writes the showcase's example images into a folder at start-up (they are generated, so the repo
 * carries no binary assets and the examples work offline).
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { renderText } from "./renderText.ts";

/** Paths of the generated examples, by demo. */
export interface ExampleImages {
  readonly ocr: readonly string[];
  readonly orientation: readonly string[];
}

/** Renders every example image into `dir` (created if missing). */
export async function writeExampleImages(dir: string): Promise<ExampleImages> {
  await mkdir(dir, { recursive: true });
  const write = async (name: string, png: Promise<Buffer>): Promise<string> => {
    const path = join(dir, name);
    await writeFile(path, await png);
    return path;
  };
  const [ocr1, ocr2, up, down] = await Promise.all([
    write("ocr-line.png", renderText("Usher serves demos fast")),
    write(
      "ocr-lines.png",
      renderText(["The queue keeps every user", "informed of their place", "and their wait."], { fontSize: 28 }),
    ),
    // Short lines: the classifier squeezes lines wider than 4:1 into 192×48 and grows less sure.
    write("orientation-upright.png", renderText("Right way up")),
    write("orientation-rotated.png", renderText("Upside down", { rotate180: true })),
  ]);
  return { ocr: [ocr1, ocr2], orientation: [up, down] };
}
