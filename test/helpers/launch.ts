import { after } from "node:test";
import type { Buildable } from "../../src/app/ServedApp.ts";
import type { LaunchOptions, QueueOptions } from "../../src/options.ts";
import { launchApp, type RunningApp } from "../../src/compose/launchApp.ts";

/**
 * Launches an app on 127.0.0.1, port 0, quiet, and closes it when the test file ends.
 * `queue` null means `.queue()` was not called.
 */
export async function launch(
  app: Buildable,
  queue: QueueOptions | null = {},
  options: LaunchOptions = {},
): Promise<RunningApp> {
  const running = await launchApp(app, queue, {
    port: 0,
    host: "127.0.0.1",
    quiet: true,
    logLevel: false,
    handleSignals: false,
    ...options,
  });
  after(() => running.close({ graceMs: 0 }));
  return running;
}

/** POSTs JSON (or a raw string body) and returns status, headers and parsed JSON (or text). */
export async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = { "content-type": "application/json" },
): Promise<{ status: number; json: any; text: string; headers: Headers }> {
  const res = await fetch(url, {
    method: "POST",
    headers,
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text, headers: res.headers };
}

/** Reads an SSE response to its end and returns the parsed `data:` payloads (and event names). */
export async function readSse(url: string, signal?: AbortSignal): Promise<{ event: string | undefined; data: any }[]> {
  const res = await fetch(url, signal === undefined ? {} : { signal });
  const text = await res.text();
  const out: { event: string | undefined; data: any }[] = [];
  for (const block of text.split("\n\n")) {
    if (block.trim() === "") continue;
    let event: string | undefined;
    let data = "";
    for (const line of block.split("\n")) {
      if (line.startsWith("event: ")) event = line.slice(7);
      else if (line.startsWith("data: ")) data += line.slice(6);
    }
    let parsed: unknown = data;
    try {
      parsed = JSON.parse(data);
    } catch {
      // "ALIVE" and other plain payloads stay strings
    }
    out.push({ event, data: parsed });
  }
  return out;
}

/** One sample of the app's /metrics, e.g. `metric(app.url, "usher_open_streams")`; NaN when absent. */
export async function metric(appUrl: string, sample: string): Promise<number> {
  const text = await (await fetch(`${appUrl}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${sample} `));
  return line === undefined ? Number.NaN : Number(line.slice(sample.length + 1));
}

/** Events running and waiting in the app's engine, every pool together (for waits on its state). */
export function eventCounts(app: RunningApp): { running: number; waiting: number } {
  let running = 0;
  let waiting = 0;
  for (const c of app.engine.poolCounts().values()) {
    running += c.running;
    waiting += c.waiting;
  }
  return { running, waiting };
}
