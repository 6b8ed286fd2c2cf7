/**
 * Runs the `usher` CLI (bin/usher.mjs) on the repository's sources for the CLI and reload tests,
 * and waits on what it prints, event by event (no sleeps).
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";

const BIN = fileURLToPath(new URL("../../bin/usher.mjs", import.meta.url));
const USHER = pathToFileURL(fileURLToPath(new URL("../../src/index.ts", import.meta.url))).href;

/** How long a wait on the CLI's output may take: a start imports the app through tsx, under load. */
export const OUTPUT_TIMEOUT_MS = 30_000;

/** A fresh folder with a package.json that makes its app files ES modules; removed when the file's tests end. */
export async function appFolder(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "usher-cli-test-"));
  after(() => rm(dir, { recursive: true, force: true }));
  // App files are ES modules (top-level await): tsx, like Node, goes by the nearest package.json.
  await writeFile(join(dir, "package.json"), JSON.stringify({ type: "module" }));
  return dir;
}

/**
 * An app file whose function returns `reply` + its input; `launchItself` makes it call launch()
 * on port 1; `title` is its page's title.
 */
export function appSource(reply: string, options: { launchItself?: boolean; title?: string } = {}): string {
  const title = options.title === undefined ? "" : `, title: ${JSON.stringify(options.title)}`;
  return [
    `import { Interface } from ${JSON.stringify(USHER)};`,
    `const demo = new Interface({ fn: (x: string): string => ${JSON.stringify(reply)} + x, inputs: "text", outputs: "text"${title} });`,
    options.launchItself === true ? "await demo.launch({ port: 1, quiet: false });" : "export default demo;",
    "",
  ].join("\n");
}

/** A running `usher` command. */
export interface Cli {
  readonly child: ChildProcessWithoutNullStreams;
  /** Everything printed so far (stdout and stderr). */
  output(): string;
  /** Lines printed so far that match `pattern`. */
  lines(pattern: RegExp): string[];
  /** Resolves once `pattern` has matched `count` lines; rejects if the command ends first or after OUTPUT_TIMEOUT_MS. */
  waitForLines(pattern: RegExp, count?: number): Promise<string[]>;
  /** Resolves with the Nth "Running on local URL" (1-based). */
  url(n?: number): Promise<string>;
  stop(): Promise<void>;
}

/** Starts `usher <args>` in `cwd`; stopped (SIGTERM) when the test file ends if still running. */
export function usherCli(args: string[], cwd: string): Cli {
  const child = spawn(process.execPath, ["--conditions=usher-source", BIN, ...args], { cwd });
  let out = "";
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const w of waiters) w();
  };
  child.stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString();
    wake();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    out += chunk.toString();
    wake();
  });
  child.on("exit", wake);
  const lines = (pattern: RegExp) => out.split("\n").filter((line) => pattern.test(line));
  const c: Cli = {
    child,
    output: () => out,
    lines,
    waitForLines(pattern, count = 1) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = lines(pattern);
          if (found.length >= count) finish(() => resolve(found));
          else if (child.exitCode !== null || child.signalCode !== null)
            finish(() => reject(new Error(`usher ended before ${count} line(s) matched ${pattern}; output:\n${out}`)));
        };
        const timer = setTimeout(
          () => finish(() => reject(new Error(`no ${count} line(s) matched ${pattern}; output:\n${out}`))),
          OUTPUT_TIMEOUT_MS,
        );
        const finish = (settle: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          settle();
        };
        waiters.add(check);
        check();
      });
    },
    async url(n = 1) {
      const found = await c.waitForLines(/Running on local URL:/, n);
      return /Running on local URL:\s+(\S+)/.exec(found[n - 1]!)![1]!;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const gone = once(child, "exit");
        child.kill("SIGTERM");
        await gone;
      }
    },
  };
  after(() => c.stop());
  return c;
}

/** The text function's answer to `text` through the direct API. */
export async function predict(url: string, text: string): Promise<unknown> {
  const res = await fetch(`${url}/gradio_api/run/predict`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ data: [text] }),
  });
  return ((await res.json()) as { data: unknown[] }).data[0];
}
