/**
 * `usher run <app file> [--port N] [--host H] [--reload]` (also plain `usher <app file>`): imports
 * an app file (TypeScript runs directly through tsx) and launches the app it exports.
 *
 * The app file convention: export the app (a Blocks or an Interface) as the default export, or
 * as `demo` or `app`. A file that calls `launch()` itself works too: the command line's --port and
 * --host override the options it passes, and the CLI does not launch it a second time.
 */
import { spawn } from "node:child_process";
import { existsSync, watch } from "node:fs";
import { basename, dirname, relative, resolve, sep } from "node:path";
import { pathToFileURL, fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { registerTypeScript } from "../registerTypeScript.mjs";

/** One line for `usher --help`. */
export const summary = "launch an app file: usher run app.ts [--port 7860] [--host 127.0.0.1] [--reload]";

const USAGE = `Usage: usher [run] <app file> [options]

Imports <app file> (.ts, .mts, .js, .mjs; TypeScript runs through tsx) and launches the app it
exports: the default export, else the export named "demo" or "app" (a Blocks or an Interface).
If the file calls launch() itself, the options below override its own.

Options:
  -p, --port <n>     port to listen on (default: the file's, else 7860)
      --host <h>     interface to listen on (default: the file's, else 127.0.0.1; 0.0.0.0 for all)
      --reload       restart when a file in the app file's folder changes (development)
  -h, --help         this help`;

/** Where `globalThis` carries the launch hook (see src/compose/cliLaunchHook.ts). */
const CLI_LAUNCH_HOOK = Symbol.for("usher.cliLaunchHook");
/** How long a reload waits for the old app to stop before killing it. */
const STOP_GRACE_MS = 5000;

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
  if (args.reload)
    await supervise(
      args,
      argv.filter((a) => a !== "--reload"),
    );
  else await serve(args);
}

/** Imports the app file in this process and launches its app (unless the file launched it). */
async function serve({ file, overrides }) {
  const launches = [];
  globalThis[CLI_LAUNCH_HOOK] = { overrides, launches };
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
  await Promise.all(launches);
}

function isApp(value) {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof value.launch === "function" &&
    typeof value.build === "function"
  );
}

/**
 * --reload: runs the app in a child process and restarts it when a file under the app file's
 * folder changes (a fresh process, so that every module, the app's own included, is re-imported).
 */
async function supervise({ file }, childArgv) {
  const bin = fileURLToPath(new URL("../usher.mjs", import.meta.url));
  const root = dirname(file);
  let child = null;
  let exited = Promise.resolve();
  const start = () => {
    child = spawn(process.execPath, [...process.execArgv, bin, "run", ...childArgv], { stdio: "inherit" });
    const c = child;
    exited = new Promise((done) =>
      c.once("exit", (code, signal) => {
        if (child === c && !stopping)
          console.error(`usher: the app exited (${signal ?? code}); waiting for a change to restart`);
        done();
      }),
    );
  };
  let stopping = false;
  const stopChild = async () => {
    const c = child;
    if (c === null || c.exitCode !== null || c.signalCode !== null) return;
    stopping = true;
    const kill = setTimeout(() => c.kill("SIGKILL"), STOP_GRACE_MS);
    c.kill("SIGTERM");
    await exited;
    clearTimeout(kill);
    stopping = false;
  };

  let timer = null;
  let restarting = Promise.resolve();
  const ignored = (path) =>
    path.split(sep).some((part) => part === "node_modules" || (part.startsWith(".") && part.length > 1));
  const watcher = watch(root, { recursive: true }, (_event, name) => {
    if (name === null || ignored(String(name))) return;
    clearTimeout(timer);
    // Editors write a file in several steps: restart once they are done.
    timer = setTimeout(() => {
      restarting = restarting.then(async () => {
        console.error(`usher: ${String(name)} changed; restarting ${basename(file)}`);
        await stopChild();
        start();
      });
    }, 150);
  });
  console.error(`usher: watching ${relative(process.cwd(), root) || "."} for changes`);
  start();
  await new Promise((done) => {
    const quit = () => {
      watcher.close();
      clearTimeout(timer);
      void stopChild().then(done);
    };
    process.once("SIGINT", quit);
    process.once("SIGTERM", quit);
  });
}
