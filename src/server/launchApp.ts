/**
 * Starts the HTTP server for an app: builds it, makes the engine, listens.
 * (Being written by the lead; this signature is the contract Blocks.launch() calls.)
 */
import type { Buildable } from "../app/ServedApp.ts";
import type { LaunchOptions, QueueOptions } from "../options.ts";

/** A launched app. */
export interface RunningApp {
  /** Base URL, e.g. "http://127.0.0.1:7860". */
  readonly url: string;
  readonly port: number;
  /** Stops admitting, ends running work, closes every connection. */
  close(): Promise<void>;
}

/** Launches `app`; `queue` is null when `.queue()` was never called. */
export async function launchApp(app: Buildable, queue: QueueOptions | null, options: LaunchOptions = {}): Promise<RunningApp> {
  void app;
  void queue;
  void options;
  throw new Error("not implemented yet");
}
