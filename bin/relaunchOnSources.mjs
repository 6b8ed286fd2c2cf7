/**
 * In a clone of the repository right after `npm ci` there is no dist/ yet (it is built by
 * `npm run build`, and by `npm pack`), so `npx usher app.ts` would fail to import "usher-ml".
 * There the CLI runs again with `--conditions=usher-source`, which maps the package's exports to
 * src/ (see package.json), in a child process: the flag then also reaches the app's worker threads
 * and --reload's restarts, which a loader hook registered in this process would not.
 * An installed package has dist/ and no src/, so this never applies to it.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { onUsherSources } from "./registerTypeScript.mjs";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

/** Whether this is an unbuilt checkout that the CLI must run on its sources. */
export function unbuiltCheckout(root = ROOT) {
  return !onUsherSources() && !existsSync(`${root}dist/index.js`) && existsSync(`${root}src/index.ts`);
}

/**
 * Runs this same command line in a child with `--conditions=usher-source` and ends as it ends.
 * The page (ui/dist) is built first when the checkout can build it, as `npm start` does.
 */
export async function relaunchOnSources(root = ROOT) {
  const ensureUi = `${root}scripts/ensure-ui.mjs`;
  if (existsSync(ensureUi)) {
    try {
      (await import(pathToFileURL(ensureUi).href)).ensureUi(root);
    } catch (err) {
      console.error(`usher: serving without the page (${err instanceof Error ? err.message : String(err)})`);
    }
  }
  const child = spawn(process.execPath, [...process.execArgv, "--conditions=usher-source", ...process.argv.slice(1)], {
    stdio: "inherit",
  });
  // Ctrl-C in a terminal reaches the child too (same process group): passing it on would make a
  // second SIGINT, which ends the app at once instead of gracefully. Other signals are passed on.
  const signals = process.stdin.isTTY ? ["SIGTERM", "SIGHUP"] : ["SIGTERM", "SIGHUP", "SIGINT"];
  const pass = (signal) => child.kill(signal);
  for (const s of signals) process.on(s, pass);
  if (process.stdin.isTTY) process.on("SIGINT", () => {});
  child.once("exit", (code, signal) => {
    for (const s of signals) process.off(s, pass);
    if (signal === null) process.exit(code ?? 1);
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  });
}
