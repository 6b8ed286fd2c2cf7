/**
 * Files every process can read, for a queue on Redis: a user's upload, join and worker may each
 * land on a different process, on different machines.
 *
 * Each file is written to this process's local folder (`root`, as {@link LocalFileStore} does)
 * and kept in Redis as a string (`file:<uploads|outputs>/<id>/<name>`) for `fileTtlMs` after its
 * last use, up to `maxFileBytes` (bigger uploads get 413). A path made by another process (whose
 * root may differ) ends in the same `uploads|outputs/<id>/<name>`: the file is then fetched from
 * Redis into this process's root, once, and read locally from there. Only files that are in Redis
 * are fetched, so a path can never reach outside the store.
 */
import { randomBytes } from "node:crypto";
import { readFile, mkdir, rename, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { UsherError } from "../errors.ts";
import type { FileStore } from "./FileStore.ts";
import { LocalFileStore } from "./LocalFileStore.ts";
import type { RedisLink } from "./RedisLink.ts";

/** `uploads/<32 hex>/<name>` or `outputs/<32 or 40 hex>/<name>` at the end of a store path. */
const STORE_PATH = /(?:^|[\\/])((?:uploads|outputs)[\\/](?:[0-9a-f]{32}|[0-9a-f]{40})[\\/][^\\/]+)$/;

/** {@link FileStore} shared through Redis. See the file comment. */
export class RedisFileStore implements FileStore {
  readonly root: string;
  readonly #local: LocalFileStore;
  readonly #link: RedisLink;

  constructor(link: RedisLink, root: string, allowedPaths: readonly string[] = []) {
    this.#link = link;
    this.root = resolve(root);
    this.#local = new LocalFileStore(root, allowedPaths);
  }

  async saveUpload(source: AsyncIterable<Uint8Array>, fileName: string, maxBytes: number | null): Promise<string> {
    const shared = this.#link.options.maxFileBytes;
    const limit = maxBytes === null ? shared : Math.min(maxBytes, shared);
    const path = await this.#local.saveUpload(source, fileName, limit);
    try {
      await this.#share(path, await readFile(path));
    } catch (err) {
      // Not shared, not returned: nobody could use or delete it.
      await this.#local.discardUpload(path);
      throw err;
    }
    return path;
  }

  async discardUpload(path: string): Promise<void> {
    if (this.#local.uploadDirOf(path) === null) return;
    await this.#local.discardUpload(path);
    const rel = relativeOf(path);
    // Redis unreachable: the shared copy still expires after fileTtlMs.
    if (rel !== null) await this.#link.call((r) => r.del(this.#key(rel))).catch(() => undefined);
  }

  async saveOutput(data: Uint8Array, fileName: string): Promise<string> {
    if (data.byteLength > this.#link.options.maxFileBytes) throw tooLarge(this.#link.options.maxFileBytes);
    const path = await this.#local.saveOutput(data, fileName);
    await this.#share(path, data);
    return path;
  }

  async importFile(path: string, fileName?: string): Promise<string> {
    const readable = await this.resolveReadable(path);
    if (readable !== null && relativeOf(readable) !== null) return readable;
    // An allowed path or a file the function made: other processes need its bytes, so copy them in.
    const data = await readFile(readable ?? resolve(path));
    return this.saveOutput(data, fileName ?? basename(path));
  }

  allow(paths: readonly string[]): void {
    this.#local.allow(paths);
  }

  async resolveReadable(path: string): Promise<string | null> {
    const local = await this.#local.resolveReadable(path);
    if (local !== null) return local;
    if (typeof path !== "string") return null;
    const rel = relativeOf(path);
    if (rel === null) return null;
    const data = await this.#link.call((r) => r.getexBuffer(this.#key(rel), "PX", this.#link.options.fileTtlMs));
    if (data === null) return null;
    const dest = join(this.root, rel);
    await mkdir(dirname(dest), { recursive: true });
    // Write then rename: a concurrent reader never sees half a file.
    const tmp = `${dest}.${randomBytes(6).toString("hex")}.tmp`;
    await writeFile(tmp, data);
    await rename(tmp, dest);
    return this.#local.resolveReadable(dest);
  }

  async #share(path: string, data: Uint8Array): Promise<void> {
    const rel = relativeOf(path);
    if (rel === null) throw new UsherError("INTERNAL", `Stored file outside the store layout: ${path}`);
    await this.#link.call((r) =>
      r.set(
        this.#key(rel),
        Buffer.from(data.buffer, data.byteOffset, data.byteLength),
        "PX",
        this.#link.options.fileTtlMs,
      ),
    );
  }

  #key(rel: string): string {
    return `${this.#link.prefix}file:${rel.replaceAll("\\", "/")}`;
  }
}

/** The `uploads|outputs/<id>/<name>` part of a store path, or null. */
function relativeOf(path: string): string | null {
  const m = STORE_PATH.exec(path);
  if (m === null) return null;
  const rel = m[1] as string;
  const name = rel.split(/[\\/]/).pop() ?? "";
  return name === "." || name === ".." || name.includes("\0") ? null : rel;
}

function tooLarge(limit: number): UsherError {
  return new UsherError(
    "PAYLOAD_TOO_LARGE",
    `File too large: files shared between processes are limited to ${limit} bytes.`,
  );
}
