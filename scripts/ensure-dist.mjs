#!/usr/bin/env node
// Builds the library (dist/, `tsc -p tsconfig.build.json`) when it is missing or older than its
// sources. The bench runs Usher as users install it, the built package, not src/ through tsx:
// tsx's transform (keepNames wrappers among others) made each prediction measurably slower.
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { buildIfStale } from "./buildLock.mjs";
import { staleAgainst } from "./ensure-ui.mjs";

const ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));
/** What dist/ is built from. */
const SOURCES = ["src", "tsconfig.json", "tsconfig.build.json", "package-lock.json"];
/** Written after a successful build: its time is the build's. */
const STAMP = "dist/.built";

/** Why dist/ needs building, or null when it is current. */
export function staleReason(root = ROOT) {
  return staleAgainst(root, STAMP, SOURCES, "dist");
}

/** Builds dist/ if it is missing or stale; throws when the build fails. */
export function ensureDist(root = ROOT) {
  return buildIfStale(
    join(root, "node_modules/.usher-build-dist.lock"),
    () => staleReason(root),
    (reason) => {
      console.error(`Building the library (${reason})…`);
      const tsc = join(root, "node_modules/typescript/bin/tsc");
      const r = spawnSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { cwd: root, stdio: "inherit" });
      if (r.status !== 0) throw new Error(`tsc -p tsconfig.build.json failed with exit code ${r.status ?? r.signal}`);
      writeFileSync(join(root, STAMP), `${new Date().toISOString()}\n`);
    },
  );
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  try {
    ensureDist();
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  }
}
