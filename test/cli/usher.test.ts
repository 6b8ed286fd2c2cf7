/**
 * The `usher` CLI (bin/usher.mjs): launches an app file's exported app, overrides the port of a
 * file that launches itself, restarts on change with --reload, and explains a file with no app.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";

const BIN = fileURLToPath(new URL("../../bin/usher.mjs", import.meta.url));
const USHER = pathToFileURL(fileURLToPath(new URL("../../src/index.ts", import.meta.url))).href;
const dir = await mkdtemp(join(tmpdir(), "usher-cli-test-"));
after(() => rm(dir, { recursive: true, force: true }));
// App files are ES modules (top-level await): tsx, like Node, goes by the nearest package.json.
await writeFile(join(dir, "package.json"), JSON.stringify({ type: "module" }));

/** An app file whose function returns `reply`; `launchItself` makes it call launch() on port 1. */
function appSource(reply: string, launchItself = false): string {
  return [
    `import { Interface } from ${JSON.stringify(USHER)};`,
    `const demo = new Interface({ fn: (x: string): string => ${JSON.stringify(reply)} + x, inputs: "text", outputs: "text" });`,
    launchItself ? "await demo.launch({ port: 1, quiet: false });" : "export default demo;",
    "",
  ].join("\n");
}

interface Cli {
  readonly child: ChildProcessWithoutNullStreams;
  /** Everything printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with the Nth "Running on local URL" (1-based). */
  url(n?: number): Promise<string>;
  stop(): Promise<void>;
}

function cli(args: string[]): Cli {
  const child = spawn(process.execPath, ["--conditions=usher-source", BIN, ...args], { cwd: dir });
  let out = "";
  const waiters: (() => void)[] = [];
  const onData = (chunk: Buffer) => {
    out += chunk.toString();
    for (const w of waiters.splice(0)) w();
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
  child.on("exit", () => {
    for (const w of waiters.splice(0)) w();
  });
  const urls = () => [...out.matchAll(/Running on local URL:\s+(\S+)/g)].map((m) => m[1]!);
  const c: Cli = {
    child,
    output: () => out,
    async url(n = 1) {
      const deadline = Date.now() + 20_000;
      while (urls().length < n) {
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`no URL #${n}; output:\n${out}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 200);
        });
      }
      return urls()[n - 1]!;
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

async function predict(url: string, text: string): Promise<unknown> {
  const res = await fetch(`${url}/gradio_api/run/predict`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ data: [text] }),
  });
  return ((await res.json()) as { data: unknown[] }).data[0];
}

test("launches the default export on --port and --host, and stops on SIGTERM", async () => {
  await writeFile(join(dir, "app.ts"), appSource("hi "));
  const c = cli(["app.ts", "--port", "0", "--host", "127.0.0.1"]);
  const url = await c.url();
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(await predict(url, "there"), "hi there");
  await c.stop();
  // launch() stops gracefully, then ends the process the way the signal would have.
  assert.ok(
    c.child.exitCode === 0 || c.child.signalCode === "SIGTERM",
    `exit ${c.child.exitCode} ${c.child.signalCode}`,
  );
});

test("a file that launches itself is launched once, on the command line's port", async () => {
  await writeFile(join(dir, "self.ts"), appSource("self ", true));
  const c = cli(["run", "self.ts", "--port", "0"]);
  const url = await c.url();
  assert.doesNotMatch(url, /:1$/);
  assert.equal(await predict(url, "x"), "self x");
  // Everything the process ever printed: its output once it has ended and its pipes closed.
  const closed = once(c.child, "close");
  await c.stop();
  await closed;
  assert.equal([...c.output().matchAll(/Running on local URL/g)].length, 1);
});

test("--reload restarts the app when its file changes", async () => {
  const sub = await mkdtemp(join(dir, "reload-"));
  await writeFile(join(sub, "app.ts"), appSource("v1 "));
  const c = cli([join(sub, "app.ts"), "--port", "0", "--reload"]);
  assert.equal(await predict(await c.url(1), "x"), "v1 x");
  await writeFile(join(sub, "app.ts"), appSource("v2 "));
  assert.equal(await predict(await c.url(2), "x"), "v2 x");
});

test("a file with no app and no launch() is an error that says what to export", async () => {
  await writeFile(join(dir, "empty.ts"), "export const answer = 42;\n");
  const c = cli(["empty.ts"]);
  const [code] = (await once(c.child, "exit")) as [number];
  assert.equal(code, 1);
  assert.match(c.output(), /exports no app: export your Blocks or Interface as the default export/);
});
