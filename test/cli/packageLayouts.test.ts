/**
 * The `usher` CLI in the two layouts that differ from an installed package with tsx: a clone of
 * the repository right after `npm ci` (no dist/ yet: the CLI runs on the TypeScript sources), and
 * a project without tsx (an optional peer: a TypeScript app gets a message naming the fix, a
 * JavaScript app runs without it). Each layout is a copy of bin/ in a scratch folder.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const scratch = await mkdtemp(join(tmpdir(), "usher-cli-layout-"));
after(() => rm(scratch, { recursive: true, force: true }));

/** A package folder holding a copy of bin/ and, when `link` says so, links to the repository's folders. */
async function layout(name: string, link: readonly string[]): Promise<string> {
  const pkg = join(scratch, name);
  await mkdir(pkg);
  await cp(join(ROOT, "bin"), join(pkg, "bin"), { recursive: true });
  await writeFile(join(pkg, "package.json"), await readFile(join(ROOT, "package.json")));
  for (const folder of link) await symlink(join(ROOT, folder), join(pkg, folder), "dir");
  return pkg;
}

/** Runs `node bin/usher.mjs ...args` in `cwd` with no Node flags, as `npx usher` does. */
function usher(cwd: string, args: string[]) {
  const child = spawn(process.execPath, [join(cwd, "bin/usher.mjs"), ...args], { cwd });
  let out = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr.on("data", (c: Buffer) => (out += c.toString()));
  after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
  });
  return { child, output: () => out };
}

test("in an unbuilt checkout (no dist/), `usher app.ts` runs the app on Usher's sources", async () => {
  const pkg = await layout("checkout", ["src", "node_modules"]);
  // The app imports the package by name, as the README's own-project app does.
  await writeFile(
    join(pkg, "app.ts"),
    'import { Interface } from "usher-ml";\nexport default new Interface({ fn: (x: string) => `src ${x}`, inputs: "text", outputs: "text" });\n',
  );
  const { child, output } = usher(pkg, ["app.ts", "--port", "0"]);
  const deadline = Date.now() + 60_000;
  let url: string | undefined;
  while (url === undefined) {
    url = /Running on local URL:\s+(\S+)/.exec(output())?.[1];
    if (child.exitCode !== null || Date.now() > deadline) assert.fail(`no URL; output:\n${output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const res = await fetch(`${url}/gradio_api/run/predict`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ data: ["hi"] }),
  });
  assert.deepEqual(((await res.json()) as { data: unknown }).data, ["src hi"]);
  // SIGTERM to the CLI reaches the app, which stops; the CLI ends as the app did.
  // "close", not "exit": a child's exit can be seen before the last of its output is read.
  const exited = once(child, "close");
  child.kill("SIGTERM");
  await exited;
  assert.match(output(), /"signal":"SIGTERM","msg":"shutting down"/);
});

test("without tsx, a TypeScript app file gets a message saying to install tsx", async () => {
  const pkg = await layout("no-tsx", []);
  await writeFile(join(pkg, "app.ts"), "export default 1;\n");
  const { child, output } = usher(pkg, ["app.ts"]);
  const [code] = (await once(child, "close")) as [number];
  assert.equal(code, 1, output());
  assert.match(output(), /app\.ts is TypeScript, and running TypeScript needs tsx, which is not installed/);
  assert.match(output(), /npm install tsx/);
});

test("without tsx, a JavaScript app file runs", async () => {
  const pkg = await layout("no-tsx-js", []);
  // Anything with build() and launch() is an app to the CLI: this one says it was launched.
  await writeFile(
    join(pkg, "app.mjs"),
    'export default { build() {}, launch(o) { console.log("launched with", JSON.stringify(o)); } };\n',
  );
  const { child, output } = usher(pkg, ["app.mjs", "--port", "1234"]);
  const [code] = (await once(child, "close")) as [number];
  assert.equal(code, 0, output());
  assert.match(output(), /launched with \{"port":1234\}/);
});
