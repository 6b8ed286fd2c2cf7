import { parseArgs } from "node:util";

/**
 * The argument of a subcommand that takes exactly one (`what`: "app file", "folder") and `-h`:
 * null after printing `usage` for `-h`/`--help`; an error naming what was given otherwise.
 */
export function oneArgument(argv, usage, what) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { help: { type: "boolean", short: "h", default: false } },
  });
  if (values.help) {
    console.log(usage);
    return null;
  }
  if (positionals.length !== 1)
    throw new Error(
      `expected one ${what}, got ${positionals.length === 0 ? "none" : positionals.join(" ")}\n\n${usage}`,
    );
  return positionals[0];
}
