/**
 * Where uploaded and produced files live. Components read inputs and write outputs through it; the
 * server's `/upload` and `/file=` routes use it too. A shared implementation (for several
 * processes) can stand in for {@link LocalFileStore} later.
 */
export interface FileStore {
  /** Folder that holds uploads and outputs. */
  readonly root: string;
  /**
   * Streams an upload to disk under a fresh folder and returns its server path.
   * Throws UsherError PAYLOAD_TOO_LARGE once more than `maxBytes` arrive. On any failure (too
   * large, the source failing or aborted, the disk) nothing of it is left behind.
   */
  saveUpload(source: AsyncIterable<Uint8Array>, fileName: string, maxBytes: number | null): Promise<string>;
  /**
   * Deletes an upload that {@link saveUpload} returned (its whole folder, and any shared copy), at
   * once: for a request refused after some of its files were written. A path that is not an
   * upload of this store is ignored; a missing one is not an error.
   */
  discardUpload(path: string): Promise<void>;
  /** Stores bytes a function produced; content-addressed, so equal outputs share one file. Returns its path. */
  saveOutput(data: Uint8Array, fileName: string): Promise<string>;
  /** Copies a file the function returned by path into the store (unless already inside); returns the stored path. */
  importFile(path: string, fileName?: string): Promise<string>;
  /**
   * The absolute path of `path` if users may read it (a regular location inside the store or an
   * allowed path, after resolving `..` and symlinks), else null.
   */
  resolveReadable(path: string): Promise<string | null>;
  /**
   * Lets users read these files or folders too, as the allowed paths: the app's example files,
   * which the page shows as thumbnails and the API page's snippets send.
   */
  allow(paths: readonly string[]): void;
}
