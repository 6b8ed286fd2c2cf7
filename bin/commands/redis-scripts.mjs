/**
 * `usher redis-scripts <folder>`: writes the Lua of the Redis queue protocol (docs/redis-protocol.md)
 * as files, for a worker written in another language: one `<name>.lua` per script (`EVALSHA` it
 * with `KEYS[1] = P seq`, `ARGV = P, node, …`), and `usher_batch.lua`, the batch function library
 * the Usher processes load on Redis 7 (`FUNCTION LOAD`). On Redis 6.2 or a Redis Cluster there is
 * no function to find there: these files are how such a worker gets the scripts.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { oneArgument } from "../oneArgument.mjs";
import { onUsherSources, registerTypeScript } from "../registerTypeScript.mjs";

/** One line for `usher --help`. */
export const summary = "write the Redis protocol's Lua scripts to a folder, for workers in other languages";

const USAGE = `Usage: usher redis-scripts <folder>

Writes every script of Usher's Redis queue protocol to <folder> as <name>.lua (usherClaim.lua,
usherRelease.lua, …), and usher_batch.lua, the function library of the batch (Redis 7). A worker
in another language sends them with EVALSHA (KEYS[1] = <prefix>seq, ARGV = <prefix>, <node id>, …):
see "A worker of your own" in docs/redis-protocol.md.

Options:
  -h, --help         this help`;

/** Runs the command. */
export async function main(argv) {
  const given = oneArgument(argv, USAGE, "folder");
  if (given === null) return;
  const dir = resolve(given);
  // The package's own Redis entry: dist/, or in a checkout run from its sources, TypeScript.
  if (onUsherSources()) await registerTypeScript(fileURLToPath(import.meta.url));
  const { REDIS_SCRIPTS, REDIS_BATCH_LIBRARY } = await import("usher-ml/redis");
  await mkdir(dir, { recursive: true });
  const names = Object.keys(REDIS_SCRIPTS).sort();
  for (const name of names) await writeFile(join(dir, `${name}.lua`), REDIS_SCRIPTS[name]);
  await writeFile(join(dir, "usher_batch.lua"), REDIS_BATCH_LIBRARY);
  console.log(`wrote ${names.length + 1} files to ${dir}`);
}
