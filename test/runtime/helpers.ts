import type { RunningApp } from "../../src/compose/launchApp.ts";
import type { EngineEvent } from "../../src/queue/types.ts";
import { post, readSse } from "../helpers/launch.ts";
import { waitFor as waitUntil } from "../helpers/waitFor.ts";

/** Starts a call through `/call/<api>` and returns its event id. */
export async function start(app: RunningApp, api: string, data: unknown[]): Promise<string> {
  const r = await post(`${app.url}/gradio_api/call/${api}`, { data });
  if (r.status !== 200) throw new Error(`call ${api}: ${r.status} ${r.text}`);
  return r.json.event_id as string;
}

/** Reads the result stream of a started call: the last event name and its data. */
export async function result(
  app: RunningApp,
  api: string,
  eventId: string,
): Promise<{ event: string | undefined; data: any }> {
  const events = (await readSse(`${app.url}/gradio_api/call/${api}/${eventId}`)).filter((e) => e.event !== "heartbeat");
  const last = events.at(-1);
  if (last === undefined) throw new Error("no events");
  return last;
}

/** Calls and waits: the last SSE event (`complete` with the outputs, or `error`). */
export async function call(
  app: RunningApp,
  api: string,
  data: unknown[],
): Promise<{ event: string | undefined; data: any }> {
  return result(app, api, await start(app, api, data));
}

/** Every engine event of the app, for checks of progress and log messages. */
export function recordEvents(app: RunningApp): EngineEvent[] {
  const events: EngineEvent[] = [];
  app.engine.on((e) => events.push(e));
  return events;
}

/** Polls `check` until it returns a value other than undefined (or throws after `timeoutMs`). */
export async function waitFor<T>(check: () => T | undefined, timeoutMs = 10_000, what = "condition"): Promise<T> {
  let v: T | undefined;
  await waitUntil(() => (v = check()) !== undefined, timeoutMs, what);
  return v as T;
}
