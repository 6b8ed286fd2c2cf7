/**
 * `usher worker <app file>`: runs the app's queued jobs, with no HTTP server, from the store its
 * `queue({ store: redisStore(...) })` shares with the front processes. Start as many workers as
 * you like, on any machine; fronts can run with `queue({ localWorkers: false })`.
 *
 * The app file is the same one the fronts run: its default export (or `demo`, or `app`), or a file
 * that calls `launch()` itself, whose launch then starts a worker instead of a server (see
 * src/compose/workerRole.ts). SIGTERM/SIGINT stop claiming and let running jobs finish.
 */
import { existsSync } from "node:fs";
import { relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { oneArgument } from "../oneArgument.mjs";
import { registerTypeScript } from "../registerTypeScript.mjs";

/** One line for `usher --help`. */
export const summary = "run an app's queued jobs from its shared (Redis) store: usher worker app.ts";

const USAGE = `Usage: usher worker <app file>

Imports <app file> (.ts, .mts, .js, .mjs; TypeScript runs through tsx) and runs the queued jobs of
the app it exports (default export, or "demo" or "app"; or the app the file launches) without an
HTTP server. The app's queue must use a shared store: queue({ store: redisStore({ url }) }).

Options:
  -h, --help         this help`;

/** Where `globalThis` carries the worker marker (see src/compose/workerRole.ts). */
const WORKER_ROLE = Symbol.for("usher.workerRole");

/** Runs the command. */
export async function main(argv) {
  const given = oneArgument(argv, USAGE, "app file");
  if (given === null) return;
  const file = resolve(given);
  if (!existsSync(file)) throw new Error(`no such file: ${given}`);

  const started = [];
  globalThis[WORKER_ROLE] = { started };
  await registerTypeScript(file);
  const mod = await import(pathToFileURL(file).href);
  if (started.length === 0) {
    const app = [mod.default, mod.demo, mod.app].find(isApp);
    if (app === undefined) {
      throw new Error(
        `${relative(process.cwd(), file)} exports no app: export your Blocks or Interface as the default export ` +
          '(or as "demo" or "app"), or call launch() in the file.',
      );
    }
    // Under the worker marker, launch() starts a worker (and records it in `started`).
    app.launch();
  }
  // Reports a failure to start (no shared store, Redis unreachable) here.
  await Promise.all(started);
}

function isApp(value) {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof value.launch === "function" &&
    typeof value.build === "function"
  );
}
