import { join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The package's bundled sample files (`samples/`: image.png, audio.wav, document.pdf). The API
 * page's file examples point at them, so its snippets run offline; every file store lets users
 * read them. The same relative path reaches `samples/` from src/ (source) and dist/
 * (built package).
 */
export const SAMPLES_DIR = fileURLToPath(new URL("../samples/", import.meta.url));

/** The absolute path of bundled sample `name`, e.g. "image.png". */
export function samplePath(name: string): string {
  return join(SAMPLES_DIR, name);
}
