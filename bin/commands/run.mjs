/**
 * `usher run <app file> [--port N] [--host H] [--reload]` (also plain `usher <app file>`): imports
 * an app file (TypeScript runs directly through tsx) and launches the app it exports.
 *
 * The app file convention: export the app (a Blocks or an Interface) as the default export, or
 * as `demo` or `app`. A file that calls `launch()` itself works too: the command line's --port and
 * --host override the options it passes, and the CLI does not launch it a second time.
 */
import { existsSync } from "node:fs";
import { relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { registerTypeScript } from "../registerTypeScript.mjs";
import { LISTENING_MESSAGE, RELOAD_CHILD_ENV, supervise } from "../reload/supervise.mjs";

/** One line for `usher --help`. */
export const summary = "launch an app file: usher run app.ts [--port 7860] [--host 127.0.0.1] [--reload]";

const USAGE = `Usage: usher [run] <app file> [options]

Imports <app file> (.ts, .mts, .js, .mjs; TypeScript runs through tsx) and launches the app it
exports: the default export, else the export named "demo" or "app" (a Blocks or an Interface).
If the file calls launch() itself, the options below override its own.

Options:
  -p, --port <n>     port to listen on (default: the file's, else 7860)
      --host <h>     interface to listen on (default: the file's, else 127.0.0.1; 0.0.0.0 for all)
      --reload       restart when a file under the app file's folder changes, on the same
                     port, and reload the open page (development)
  -h, --help         this help`;

/** Where `globalThis` carries the launch hook (see src/compose/cliLaunchHook.ts). */
const CLI_LAUNCH_HOOK = Symbol.for("usher.cliLaunchHook");

function parse(argv) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      port: { type: "string", short: "p" },
      host: { type: "string" },
      reload: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) return { help: true };
  if (positionals.length !== 1)
    throw new Error(
      `expected one app file, got ${positionals.length === 0 ? "none" : positionals.join(" ")}\n\n${USAGE}`,
    );
  const file = resolve(positionals[0]);
  if (!existsSync(file)) throw new Error(`no such file: ${positionals[0]}`);
  const overrides = {};
  if (values.port !== undefined) {
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new Error(`--port must be a port number, got "${values.port}"`);
    overrides.port = port;
  }
  if (values.host !== undefined) overrides.host = values.host;
  return { help: false, file, overrides, reload: values.reload };
}

/** Runs the command. */
export async function main(argv) {
  const args = parse(argv);
  if (args.help) {
    console.log(USAGE);
    return;
  }
  if (args.reload) await supervise(args);
  else await serve(args);
}

/** Imports the app file in this process and launches its app (unless the file launched it). */
async function serve({ file, overrides }) {
  const reloadChild = asReloadChild();
  const launches = [];
  globalThis[CLI_LAUNCH_HOOK] = { overrides, launches, reload: reloadChild };
  await registerTypeScript(file);
  const mod = await import(pathToFileURL(file).href);
  if (launches.length === 0) {
    const app = [mod.default, mod.demo, mod.app].find(isApp);
    if (app === undefined) {
      throw new Error(
        `${relative(process.cwd(), file)} exports no app: export your Blocks or Interface as the default export ` +
          '(or as "demo" or "app"), or call launch() in the file.',
      );
    }
    app.launch(overrides);
  }
  // Wait for the launches so that a failure (a port in use) is reported here; launch() itself
  // handles SIGINT and SIGTERM (stop admitting, finish running work, exit).
  const running = await Promise.all(launches);
  // The reload supervisor gives every later process this port (a `--port 0` stays the same port).
  if (reloadChild && running[0] !== undefined)
    process.send({ type: LISTENING_MESSAGE, port: running[0].port }, () => undefined);
}

/**
 * Whether this process is the child of `usher --reload` (bin/reload/supervise.mjs). Its channel
 * to the supervisor must not keep it alive (an app that fails to import must exit), and it ends
 * with the supervisor (even one killed with SIGKILL), so that no orphan keeps the port.
 */
function asReloadChild() {
  const is = process.env[RELOAD_CHILD_ENV] === "1" && typeof process.send === "function";
  // The app's own child processes are not reload children.
  delete process.env[RELOAD_CHILD_ENV];
  if (!is) return false;
  process.channel?.unref();
  process.once("disconnect", () => process.kill(process.pid, "SIGTERM"));
  return true;
}

function isApp(value) {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof value.launch === "function" &&
    typeof value.build === "function"
  );
}
