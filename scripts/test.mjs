#!/usr/bin/env node
// Runs every *.test.ts under test/ with node's test runner through tsx.
// Node 20's --test does not expand globs or find .ts files itself, so we list them here.
//
//   node scripts/test.mjs [--unit] [substring-of-test-path ...]
//
// --unit keeps the quick tier: the engine, protocol, components, app model and the in-memory store,
// all on the manual clock with no server, port, Redis or browser. Its files share one process:
// starting node and tsx for each file cost three times the tests themselves (43 s against 13 s on
// this machine under load), and these tests keep no state outside what they create. The full run
// gives every file its own process, one at a time: those tests bind ports, share Redis and time
// real work.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";

/** The quick tier, as path prefixes under test/. */
const UNIT = ["test/app/", "test/components/", "test/protocol/", "test/queue/", "test/store/MemoryStore.test.ts"];

function find(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...find(p));
    else if (name.endsWith(".test.ts")) out.push(p);
  }
  return out;
}

const args = process.argv.slice(2);
const unit = args.includes("--unit");
const filter = args.filter((a) => a !== "--unit");
let files = find("test").sort();
if (unit) files = files.filter((f) => UNIT.some((prefix) => f.split("\\").join("/").startsWith(prefix)));
if (filter.length > 0) files = files.filter((f) => filter.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error("no test files matched");
  process.exit(1);
}
const tsx = ["--conditions=usher-source", "--import", "tsx"];
const r = unit
  ? spawnSync(
      process.execPath,
      [
        ...tsx,
        "--test-reporter=spec",
        "--input-type=module",
        "-e",
        'import { pathToFileURL } from "node:url"; for (const f of JSON.parse(process.env.USHER_TEST_FILES)) await import(pathToFileURL(f).href);',
      ],
      { stdio: "inherit", env: { ...process.env, USHER_TEST_FILES: JSON.stringify(files) } },
    )
  : spawnSync(process.execPath, [...tsx, "--test", "--test-concurrency=1", "--test-reporter=spec", ...files], {
      stdio: "inherit",
    });
process.exit(r.status ?? 1);
