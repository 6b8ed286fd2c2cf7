// Test helpers for the app model: a hand-made InvokeContext and a file store in a temp folder.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RuntimeEnv } from "../../src/app/ServedApp.ts";
import type { EventInfo, InvokeContext, LogLevel, LogOptions, ProgressUnit } from "../../src/queue/types.ts";
import { LocalFileStore } from "../../src/store/LocalFileStore.ts";

export const ROOT_URL = "http://127.0.0.1:7860";

/** An event of session `sessionHash`. */
export function event(sessionHash = "s1", eventId = `ev-${sessionHash}`): EventInfo {
  return { eventId, sessionHash, rootUrl: ROOT_URL, meta: {} };
}

/** An InvokeContext that records what the function reports. */
export interface FakeContext extends InvokeContext {
  readonly progressCalls: (readonly ProgressUnit[])[];
  readonly logs: { level: LogLevel; message: string; options: LogOptions | undefined }[];
  readonly controller: AbortController;
}

export function fakeContext(events: readonly EventInfo[] = [event()]): FakeContext {
  const controller = new AbortController();
  const progressCalls: (readonly ProgressUnit[])[] = [];
  const logs: FakeContext["logs"] = [];
  return {
    events,
    signal: controller.signal,
    controller,
    progressCalls,
    logs,
    progress: (units) => progressCalls.push(units),
    log: (level, message, options) => logs.push({ level, message, options }),
  };
}

/** A LocalFileStore in a fresh temp folder, and a way to remove it. */
export async function tempEnv(): Promise<{
  env: RuntimeEnv;
  files: LocalFileStore;
  dir: string;
  cleanup: () => Promise<void>;
}> {
  const dir = await mkdtemp(join(tmpdir(), "usher-app-test-"));
  const files = new LocalFileStore(join(dir, "store"));
  return { env: { files }, files, dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A RuntimeEnv whose file store must not be touched. */
export const NO_FILES_ENV: RuntimeEnv = {
  files: {
    root: "/nonexistent",
    saveUpload: () => Promise.reject(new Error("no files in this test")),
    discardUpload: () => Promise.reject(new Error("no files in this test")),
    saveOutput: () => Promise.reject(new Error("no files in this test")),
    importFile: () => Promise.reject(new Error("no files in this test")),
    resolveReadable: () => Promise.resolve(null),
    allow: () => undefined,
  },
};

/** Collects an async iterable. */
export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

export const CONFIG_CTX = {
  rootUrl: ROOT_URL,
  queueEnabled: true,
  showError: false,
  maxFileSize: null,
  appId: 42,
  apiPrefix: "/gradio_api",
} as const;
