/**
 * `usher app.ts --reload`: runs the app in a child process and replaces that process when a file
 * under the app file's folder changes (a fresh process, so that every module, the app's own
 * included, is imported anew).
 *
 * - Every kind of save is seen: folders are watched, not file inodes (see watchTree.mjs).
 * - A burst of events (an editor's write, rename and chmod; a script rewriting several files)
 *   restarts once, `DEBOUNCE_MS` after the last event, with one line naming the files.
 * - The port stays: the first child reports the port it bound, and every later child gets it.
 * - An app that fails (a syntax error, an exception at import, a crash) prints its error and the
 *   supervisor waits for the next change; it never dies with its child.
 * - The open page reloads itself: the child serves `dev/reload` (see src/server/routes/devReloadRoute.ts).
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { watchTree } from "./watchTree.mjs";

/** The environment variable that tells `usher run` it is a reload child (read and removed there). */
export const RELOAD_CHILD_ENV = "USHER_RELOAD_CHILD";
/** The message a reload child sends once it listens: `{ type, port }`. */
export const LISTENING_MESSAGE = "usher:listening";
/** Quiet time after the last file event before restarting: editors save in several steps. */
const DEBOUNCE_MS = 200;
/** How long a restart waits for the old app to stop (finishing running calls) before killing it. */
const STOP_GRACE_MS = 5000;
/** Most file names the reload line lists. */
const MAX_NAMES = 3;

/**
 * Supervises the app file `file` with the command line's `overrides` (`port`, `host`) until
 * SIGINT or SIGTERM.
 */
export async function supervise({ file, overrides }) {
  const bin = fileURLToPath(new URL("../usher.mjs", import.meta.url));
  const root = dirname(file);
  /** The port every child after the first listens on (the first one's, once known). */
  let port = overrides.port ?? null;
  let child = null;
  let exited = Promise.resolve();

  const start = () => {
    const args = ["run", file];
    if (overrides.host !== undefined) args.push("--host", overrides.host);
    if (port !== null) args.push("--port", String(port));
    const c = spawn(process.execPath, [...process.execArgv, bin, ...args], {
      stdio: ["inherit", "inherit", "inherit", "ipc"],
      env: { ...process.env, [RELOAD_CHILD_ENV]: "1" },
    });
    child = c;
    c.on("message", (message) => {
      // `--port 0` (or none) picks a port once: the first one bound.
      const bound = message?.type === LISTENING_MESSAGE && Number.isInteger(message.port) && message.port > 0;
      if (bound && (port === null || port === 0)) port = message.port;
    });
    exited = new Promise((done) =>
      c.once("exit", (code, signal) => {
        if (child === c)
          console.error(
            `The app exited (${signal ?? `code ${code}`}); waiting for a change in ${displayed(root)} to reload`,
          );
        done();
      }),
    );
  };

  const stopChild = async () => {
    const c = child;
    child = null;
    if (c === null || c.exitCode !== null || c.signalCode !== null) return;
    const kill = setTimeout(() => c.kill("SIGKILL"), STOP_GRACE_MS);
    c.kill("SIGTERM");
    await exited;
    clearTimeout(kill);
  };

  /** Names seen since the last restart, in order. */
  const changed = new Set();
  let timer = null;
  let restarting = Promise.resolve();
  const watcher = watchTree(root, (name) => {
    changed.add(name);
    clearTimeout(timer);
    timer = setTimeout(() => {
      // Restarts run one after another: a change during one restarts again after it.
      restarting = restarting.then(async () => {
        if (changed.size === 0) return;
        console.error(`Reloading: ${describeChanges([...changed], root)}`);
        changed.clear();
        await stopChild();
        start();
      });
    }, DEBOUNCE_MS);
  });
  console.error(`Watching ${displayed(root)} for changes (--reload)`);
  start();
  await new Promise((done) => {
    const quit = () => {
      watcher.close();
      clearTimeout(timer);
      void restarting.then(stopChild).then(done);
    };
    process.once("SIGINT", quit);
    process.once("SIGTERM", quit);
  });
}

/**
 * What a burst changed, for the reload line: the names that still exist ("app.ts changed"; a
 * temporary file that was renamed over app.ts is gone and not named), else the ones that went
 * away ("app.ts removed").
 */
function describeChanges(names, root) {
  const present = names.filter((name) => existsSync(join(root, name)));
  const [list, verb] = present.length > 0 ? [present, "changed"] : [names, "removed"];
  const shown = list.slice(0, MAX_NAMES).join(", ");
  return list.length > MAX_NAMES ? `${shown} and ${list.length - MAX_NAMES} more ${verb}` : `${shown} ${verb}`;
}

/** A folder as the user would type it: relative to the working directory when inside it. */
function displayed(dir) {
  const rel = relative(process.cwd(), dir);
  return rel === "" ? "." : rel.startsWith("..") ? dir : rel;
}
