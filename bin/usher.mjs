#!/usr/bin/env node
/**
 * The `usher` command line. `usher <command> [args]` runs bin/commands/<command>.mjs; anything
 * else is `usher run ...`, so `npx usher app.ts` launches an app file.
 *
 * Each subcommand is one file in bin/commands/ exporting `summary` (one line for the help) and
 * `main(argv)`. Adding a file adds a command; nothing here needs editing.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { relaunchOnSources, unbuiltCheckout } from "./relaunchOnSources.mjs";

const commandsDir = fileURLToPath(new URL("./commands/", import.meta.url));
const commandPath = (name) => `${commandsDir}${name}.mjs`;

async function help() {
  const names = readdirSync(commandsDir)
    .filter((f) => f.endsWith(".mjs"))
    .map((f) => f.slice(0, -4))
    .sort();
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
  const lines = [
    `Usher ${pkg.version} (npm package ${pkg.name}): Gradio-compatible app server for ML demos`,
    "",
    "Usage: usher <app file> [options]      (same as: usher run <app file>)",
    "       usher <command> [args]",
    "",
    "Commands:",
  ];
  for (const name of names) {
    const { summary } = await import(pathToFileURL(commandPath(name)).href);
    lines.push(`  ${name.padEnd(10)} ${summary ?? ""}`);
  }
  lines.push("", "Run `usher <command> --help` for a command's options.");
  console.log(lines.join("\n"));
}

const [first, ...rest] = process.argv.slice(2);
if (unbuiltCheckout()) {
  // A clone of the repository with no dist/ yet: the same command, on the TypeScript sources.
  await relaunchOnSources();
} else if (first === undefined || first === "-h" || first === "--help" || first === "help") {
  await help();
} else {
  // A command name, unless a file of that name exists (`usher run` where ./run is an app is rare;
  // the file wins only when it is not a command).
  const isCommand = /^[a-z][a-z0-9-]*$/.test(first) && existsSync(commandPath(first));
  const [name, argv] = isCommand ? [first, rest] : ["run", [first, ...rest]];
  const command = await import(pathToFileURL(commandPath(name)).href);
  try {
    await command.main(argv);
  } catch (err) {
    console.error(`usher ${name}: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  }
}
