import { readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { every, systemClock, type Clock, type Repeating } from "../clock.ts";

/** Folders of a file store root whose entries expire (one folder per upload or output). */
const SWEPT = ["uploads", "outputs"] as const;

/** Options of {@link FileSweeper}. */
export interface FileSweeperOptions {
  /** The file store's root (holds uploads/ and outputs/). */
  readonly root: string;
  /** Age after which an upload or output folder is deleted, ms (by its modification time). */
  readonly ttlMs: number;
  /** Time between two sweeps, ms. Default: a quarter of `ttlMs`, at most 5 minutes. */
  readonly intervalMs?: number;
  /** Wall clock in ms (file times are wall time). Default `Date.now`. */
  readonly now?: () => number;
  /** The clock of the sweep timer. Default {@link systemClock}. */
  readonly clock?: Clock;
}

/**
 * Deletes uploaded and output files older than `ttlMs`, so that a long-running demo's disk use
 * stays bounded by what users sent in the last TTL. Its timer is unref'd: it never keeps a process
 * alive. Reading a file does not renew it (a page that shows an hour-old output may then 404,
 * as with Gradio's `delete_cache`); writing the same output again does.
 */
export class FileSweeper {
  readonly #options: FileSweeperOptions;
  readonly #now: () => number;
  #timer: Repeating | null = null;
  #sweeping: Promise<number> | null = null;

  constructor(options: FileSweeperOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** Starts sweeping every interval. */
  start(): void {
    if (this.#timer !== null) return;
    const intervalMs =
      this.#options.intervalMs ?? Math.min(Math.max(1000, Math.floor(this.#options.ttlMs / 4)), 5 * 60_000);
    this.#timer = every(this.#options.clock ?? systemClock, intervalMs, () => void this.sweep());
  }

  /** Stops the timer and waits for a sweep in progress. */
  async stop(): Promise<void> {
    this.#timer?.stop();
    this.#timer = null;
    await this.#sweeping;
  }

  /** Deletes every expired folder now; resolves with how many. Never throws. */
  sweep(): Promise<number> {
    this.#sweeping ??= this.#sweep().finally(() => {
      this.#sweeping = null;
    });
    return this.#sweeping;
  }

  async #sweep(): Promise<number> {
    const cutoff = this.#now() - this.#options.ttlMs;
    let removed = 0;
    for (const folder of SWEPT) {
      const dir = join(this.#options.root, folder);
      let names: string[];
      try {
        names = await readdir(dir);
      } catch {
        continue; // nothing uploaded yet
      }
      for (const name of names) {
        const path = join(dir, name);
        try {
          if ((await stat(path)).mtimeMs > cutoff) continue;
          await rm(path, { recursive: true, force: true });
          removed++;
        } catch {
          // removed meanwhile by another sweeper sharing the folder
        }
      }
    }
    return removed;
  }
}
