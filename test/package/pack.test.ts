/**
 * The package as a user gets it, following the README's "Use Usher in your own project" section
 * word for word where it can: `npm pack` (which builds it), the section's setup commands in a
 * scratch folder, its `npm install` with the tarball for `usher-ml`, its `app.ts`, run with the
 * command it names, and a prediction through `@gradio/client`. Change the section and this test
 * follows it (or fails, when the steps stop working).
 */
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { Client } from "@gradio/client";

const root = process.cwd();
const NPM_FLAGS = ["--no-audit", "--no-fund", "--prefer-offline"];

/** The README's own-project section: its ```sh and ```ts blocks, in order. */
function ownProjectSection(): { sh: string[]; ts: string[] } {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const start = readme.indexOf("\n## Use Usher in your own project\n");
  assert.ok(start >= 0, 'README.md has a "Use Usher in your own project" section');
  const end = readme.indexOf("\n## ", start + 1);
  const section = readme.slice(start, end === -1 ? undefined : end);
  const blocks = (lang: string) =>
    [...section.matchAll(new RegExp("```" + lang + "\\n([\\s\\S]*?)```", "g"))].map((m) => m[1]!);
  return { sh: blocks("sh"), ts: blocks("ts") };
}

/** A shell line without its trailing `# comment`. */
const command = (line: string) => line.replace(/\s+#.*$/, "").trim();

/** Starts `line` (a README command) with `extra` arguments in `cwd`, in its own process group. */
function start(cwd: string, line: string, extra: string[]) {
  const [bin, ...args] = command(line).split(/\s+/);
  const child = spawn(bin!, [...args, ...extra], { cwd, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr.on("data", (c: Buffer) => (out += c.toString()));
  const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
  return {
    exited,
    output: () => out,
    ended: () => child.exitCode !== null || child.signalCode !== null,
    /** npx runs the CLI in a child: the whole group gets the signal. */
    async stop() {
      if (this.ended()) return;
      process.kill(-child.pid!, "SIGTERM");
      await exited;
    },
  };
}

test("the README's own-project steps work on the npm pack tarball", { timeout: 300_000 }, async () => {
  const { sh, ts } = ownProjectSection();
  const [setup, run] = sh;
  const [appSource] = ts;
  assert.ok(setup && run && appSource, "the section has a setup block, a run block and an app.ts");
  const scratch = mkdtempSync(join(tmpdir(), "usher-pack-"));
  try {
    // `npm pack` alone, as a publisher runs it: its prepack builds dist/ and ui/dist/.
    execFileSync("npm", ["pack", "--silent", "--pack-destination", scratch], { cwd: root, stdio: "pipe" });
    const tarball = join(scratch, readdirSync(scratch).find((f) => f.endsWith(".tgz"))!);

    // The setup block but its `npm install` line, which runs below with the tarball for usher-ml.
    const lines = setup.split("\n").map(command).filter(Boolean);
    const install = lines.find((l) => l.startsWith("npm install "));
    assert.ok(install, "the setup block installs with npm install");
    const packages = install.slice("npm install ".length).split(/\s+/);
    assert.ok(packages.includes("usher-ml"), install);
    execFileSync("sh", ["-ec", lines.filter((l) => l !== install).join("\n")], { cwd: scratch, stdio: "pipe" });
    const project = join(scratch, /\bcd (\S+)/.exec(setup)?.[1] ?? ".");

    // The library alone first: no showcase models, no TypeScript loader, caret ranges.
    const installed = spawnSync("npm", ["install", ...NPM_FLAGS, tarball], { cwd: project, encoding: "utf8" });
    assert.equal(installed.status, 0, installed.stderr);
    // Every dependency's engines hold on this Node (cookie 2, for one, wants Node 22).
    assert.doesNotMatch(installed.stderr, /EBADENGINE/, installed.stderr);
    const modules = join(project, "node_modules");
    for (const heavy of ["onnxruntime-node", "sharp", "tesseract.js", "tsx", "esbuild"])
      assert.ok(!existsSync(join(modules, heavy)), `the package pulls in ${heavy}`);
    const manifest = JSON.parse(readFileSync(join(modules, "usher-ml/package.json"), "utf8")) as {
      dependencies: Record<string, string>;
    };
    // Caret ranges, but for the one pin that keeps every dependency's engines true on Node 20 (see
    // the README: light-my-request 6.8 takes a cookie that wants Node 22).
    for (const [name, range] of Object.entries(manifest.dependencies))
      assert.match(range, name === "light-my-request" ? /^~6\.6\./ : /^\^/, name);

    // A JavaScript app needs no tsx, and the root entry loads no ioredis (moved away meanwhile).
    writeFileSync(
      join(project, "lib.mjs"),
      [
        'import { Interface } from "usher-ml";',
        'const demo = new Interface({ fn: (x) => x + "!", inputs: "text", outputs: "text" });',
        "const app = await demo.launch({ port: 0, quiet: true, logLevel: false });",
        "const res = await fetch(`${app.url}/gradio_api/run/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ data: ['hi'] }) });",
        "console.log(JSON.stringify((await res.json()).data));",
        "await app.close();",
      ].join("\n"),
    );
    renameSync(join(modules, "ioredis"), join(modules, "ioredis.away"));
    try {
      assert.equal(execFileSync("node", ["lib.mjs"], { cwd: project, encoding: "utf8" }).trim(), '["hi!"]');
    } finally {
      renameSync(join(modules, "ioredis.away"), join(modules, "ioredis"));
    }
    const redisExport = 'import("usher-ml/redis").then((m) => console.log(typeof m.redisStore))';
    assert.equal(execFileSync("node", ["-e", redisExport], { cwd: project, encoding: "utf8" }).trim(), "function");

    // The README's app.ts and run command. Without tsx yet, the CLI says what to install.
    writeFileSync(join(project, "app.ts"), appSource);
    const runLine = run.split("\n").find((l) => /\bapp\.ts\b/.test(l) && !l.includes("--reload"));
    assert.ok(runLine, "the run block runs app.ts");
    const noTsx = start(project, runLine, ["--port", "0"]);
    const [code] = await noTsx.exited;
    assert.equal(code, 1, noTsx.output());
    assert.match(noTsx.output(), /app\.ts is TypeScript.*needs tsx.*npm install tsx/);

    // The rest of the README's install line (tsx), then the same command serves the app.
    const rest = packages.filter((p) => p !== "usher-ml");
    if (rest.length > 0) execFileSync("npm", ["install", ...NPM_FLAGS, ...rest], { cwd: project, stdio: "pipe" });
    const cli = start(project, runLine, ["--port", "0"]);
    try {
      const deadline = Date.now() + 60_000;
      let url: string | undefined;
      while (url === undefined) {
        url = /Running on local URL:\s+(\S+)/.exec(cli.output())?.[1];
        if (url === undefined && (cli.ended() || Date.now() > deadline))
          assert.fail(`no URL; output:\n${cli.output()}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const client = await Client.connect(url);
      // The README's app answers `Hello, <name>!`.
      assert.deepEqual((await client.predict("/predict", ["Ada"])).data, ["Hello, Ada!"]);
    } finally {
      await cli.stop();
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
});
