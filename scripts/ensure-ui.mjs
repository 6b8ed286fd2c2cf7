#!/usr/bin/env node
// Builds the browser page (ui/dist) when it is missing or older than anything it is built from,
// so that `npm start` and `npm test` always serve the current page without a manual build step.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { buildIfStale } from "./buildLock.mjs";

const ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));

/** What the page is built from: its sources, the protocol code it imports, the locked deps. */
const SOURCES = [
  "ui/src",
  "ui/index.html",
  "ui/vite.config.ts",
  "ui/tsconfig.json",
  "src/protocol",
  "package-lock.json",
];

/** Newest modification time under `path` (a file or a folder), 0 when it does not exist. */
function newest(path) {
  if (!existsSync(path)) return 0;
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  let max = info.mtimeMs;
  for (const name of readdirSync(path)) max = Math.max(max, newest(join(path, name)));
  return max;
}

/**
 * Why the build whose marker file is `built` (relative to `root`) is out of date, or null: the
 * marker is missing (`what` is missing), or one of `sources` changed after it was written.
 */
export function staleAgainst(root, built, sources, what) {
  const marker = join(root, built);
  if (!existsSync(marker)) return `${what} is missing`;
  const builtAt = statSync(marker).mtimeMs;
  const changed = sources.find((s) => newest(join(root, s)) > builtAt);
  return changed === undefined ? null : `${changed} changed since the last build`;
}

/** Why the page needs building, or null when ui/dist is current. */
export function staleReason(root = ROOT) {
  return staleAgainst(root, "ui/dist/index.html", SOURCES, "ui/dist");
}

/** Builds the page (`npm run build:ui`) if it is missing or stale; throws when the build fails. */
export function ensureUi(root = ROOT) {
  // Processes started together build once: the others wait, then find the page current.
  return buildIfStale(
    join(root, "node_modules/.usher-build-ui.lock"),
    () => staleReason(root),
    (reason) => {
      console.error(`Building the page (${reason})…`);
      const npm = process.platform === "win32" ? "npm.cmd" : "npm";
      const r = spawnSync(npm, ["run", "--silent", "build:ui"], { cwd: root, stdio: "inherit" });
      if (r.status !== 0) throw new Error(`npm run build:ui failed with exit code ${r.status ?? r.signal}`);
    },
  );
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  try {
    ensureUi();
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  }
}
