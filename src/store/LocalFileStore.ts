import { createHash, randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { copyFile, mkdir, realpath, rm, stat, utimes, writeFile } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, resolve, sep } from "node:path";
import { pipeline } from "node:stream/promises";
import { UsherError } from "../errors.ts";
import type { FileStore } from "./FileStore.ts";
import { SAMPLES_DIR } from "../samples.ts";

/** Keeps files on this machine's disk under `root` (uploads/ and outputs/). */
export class LocalFileStore implements FileStore {
  readonly root: string;
  private allowed: readonly string[];
  private realRoots: Promise<string[]> | undefined;

  /** `allowedPaths`: extra files or folders that may be read (e.g. example assets). */
  constructor(root: string, allowedPaths: readonly string[] = []) {
    this.root = resolve(root);
    this.allowed = [...allowedPaths.map((p) => resolve(p)), SAMPLES_DIR];
  }

  allow(paths: readonly string[]): void {
    if (paths.length === 0) return;
    this.allowed = [...this.allowed, ...paths.map((p) => resolve(p))];
    this.realRoots = undefined;
  }

  async saveUpload(source: AsyncIterable<Uint8Array>, fileName: string, maxBytes: number | null): Promise<string> {
    const dir = join(this.root, "uploads", randomBytes(16).toString("hex"));
    await mkdir(dir, { recursive: true });
    const path = join(dir, safeName(fileName));
    let size = 0;
    try {
      // pipeline: backpressure, and on any failure (the limit, an aborted source, the disk) every
      // stream is destroyed and the error comes here, never as an unhandled 'error' event.
      await pipeline(
        source,
        async function* limit(chunks: AsyncIterable<Uint8Array>) {
          for await (const chunk of chunks) {
            size += chunk.byteLength;
            if (maxBytes !== null && size > maxBytes) {
              throw new UsherError("PAYLOAD_TOO_LARGE", `File too large: the limit is ${maxBytes} bytes.`);
            }
            yield chunk;
          }
        },
        createWriteStream(path),
      );
      return path;
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
  }

  async discardUpload(path: string): Promise<void> {
    const dir = this.uploadDirOf(path);
    if (dir !== null) await rm(dir, { recursive: true, force: true });
  }

  /** The folder of an upload path (`<root>/uploads/<32 hex>/<name>`), or null for any other path. */
  uploadDirOf(path: string): string | null {
    if (typeof path !== "string" || path.includes("\0")) return null;
    const abs = resolve(path);
    const dir = dirname(abs);
    const ok =
      dirname(dir) === join(this.root, "uploads") &&
      /^[0-9a-f]{32}$/.test(basename(dir)) &&
      basename(abs) === safeName(basename(abs));
    return ok ? dir : null;
  }

  async saveOutput(data: Uint8Array, fileName: string): Promise<string> {
    const hash = createHash("sha256").update(data).digest("hex").slice(0, 40);
    const dir = join(this.root, "outputs", hash);
    const path = join(dir, safeName(fileName));
    try {
      await stat(path);
      // Written again: renew it, or the file sweeper (fileTtlMs) could delete it under the new user.
      const now = new Date();
      await utimes(dir, now, now).catch(() => undefined);
      return path;
    } catch {
      await mkdir(dir, { recursive: true });
      await writeFile(path, data);
      return path;
    }
  }

  async importFile(path: string, fileName?: string): Promise<string> {
    const readable = await this.resolveReadable(path);
    if (readable !== null) return readable;
    const abs = resolve(path);
    const dir = join(this.root, "outputs", randomBytes(16).toString("hex"));
    await mkdir(dir, { recursive: true });
    const dest = join(dir, safeName(fileName ?? basename(abs)));
    await copyFile(abs, dest);
    return dest;
  }

  async resolveReadable(path: string): Promise<string | null> {
    if (typeof path !== "string" || path === "" || path.includes("\0") || !isAbsolute(path)) return null;
    let real: string;
    try {
      real = await realpath(path);
      if (!(await stat(real)).isFile()) return null;
    } catch {
      return null;
    }
    const roots = await this.roots();
    return roots.some((r) => real === r || real.startsWith(r.endsWith(sep) ? r : r + sep)) ? real : null;
  }

  /** Real paths of the readable roots (the store itself, the allowed paths and the bundled samples that exist). */
  private roots(): Promise<string[]> {
    this.realRoots ??= (async () => {
      await mkdir(this.root, { recursive: true });
      const out: string[] = [];
      for (const p of [this.root, ...this.allowed]) {
        try {
          out.push(await realpath(p));
        } catch {
          // an allowed path that does not exist yet can hold nothing to serve
        }
      }
      return out;
    })();
    return this.realRoots;
  }
}

/** A file name with no folders, no control characters and a sane length. */
export function safeName(name: string): string {
  const base = basename(String(name).replaceAll("\\", "/"))
    // eslint-disable-next-line no-control-regex -- control characters are what this strips
    .replace(/[\u0000-\u001f\u007f]/g, "")
    .trim();
  const cleaned = base === "" || base === "." || base === ".." ? "file" : base;
  return cleaned.length > 200 ? cleaned.slice(cleaned.length - 200) : cleaned;
}
