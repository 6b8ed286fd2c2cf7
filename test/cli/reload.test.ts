/**
 * `usher app.ts --reload` (bin/reload/): every kind of save restarts the app once, on the same
 * port, with one line saying why; a broken app file is reported and the next good save recovers;
 * the page's reload signal (`dev/reload`) names the serving process. The page itself reloading:
 * test/browser/reload.test.ts.
 *
 * Each test has its own folder (the watched tree) and waits on the CLI's output, not on time.
 */
import assert from "node:assert/strict";
import { mkdir, rename, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { Interface } from "usher-ml";
import { appFolder, appSource, predict, usherCli, type Cli } from "./usherCli.ts";

interface Supervised {
  readonly dir: string;
  /** The app file. */
  readonly file: string;
  readonly cli: Cli;
  /** Where the first process served. */
  readonly url: string;
}

/** `usher app.ts --port 0 --reload` on a fresh folder whose app answers `reply` + input. */
async function supervised(reply: string): Promise<Supervised> {
  const dir = await appFolder();
  const file = join(dir, "app.ts");
  await writeFile(file, appSource(reply));
  const cli = usherCli(["app.ts", "--port", "0", "--reload"], dir);
  const url = await cli.url(1);
  assert.equal(await predict(url, "x"), `${reply}x`);
  return { dir, file, cli, url };
}

/**
 * Waits for the `n`th restart (the app's `launches`th start, one more unless one failed), then
 * checks that it serves `reply` on the first port and that the CLI printed one reload line per
 * restart, the latest saying `reason`.
 */
async function restarted(
  s: Supervised,
  n: number,
  reply: string,
  { reason = "app.ts changed", launches = n + 1 } = {},
): Promise<void> {
  const url = await s.cli.url(launches);
  assert.equal(url, s.url, "the port changed");
  assert.equal(await predict(url, "x"), `${reply}x`);
  const reloads = s.cli.lines(/^Reloading: /);
  assert.equal(reloads.length, n, s.cli.output());
  assert.equal(reloads.at(-1), `Reloading: ${reason}`);
}

test("an in-place write restarts the app once, on the same port; node_modules, dist and dot folders are ignored", async () => {
  const s = await supervised("v1 ");
  // Written just before the app file, these would land in its burst and its reload line.
  for (const ignored of ["node_modules/dep/index.js", "dist/app.js", ".git/HEAD"]) {
    await mkdir(join(s.dir, ignored, ".."), { recursive: true });
    await writeFile(join(s.dir, ignored), "x");
  }
  await writeFile(s.file, appSource("v2 "));
  await restarted(s, 1, "v2 ");
  await writeFile(s.file, appSource("v3 "));
  await restarted(s, 2, "v3 ");
  await s.cli.stop();
});

test("a new file renamed over the app file (sed -i, most editors) restarts it, save after save", async () => {
  const s = await supervised("v1 ");
  // The old watch on the file's inode saw the first such save and none after it: three in a row.
  for (const [n, reply] of [
    [1, "v2 "],
    [2, "v3 "],
    [3, "v4 "],
  ] as const) {
    const temp = join(s.dir, `sed${n}xYz`);
    await writeFile(temp, appSource(reply));
    await rename(temp, s.file);
    // The temporary file is gone by the restart: the line names the app file alone.
    await restarted(s, n, reply);
  }
  await s.cli.stop();
});

test("deleting the app file and creating it again restarts it with the new file", async () => {
  const s = await supervised("v1 ");
  await unlink(s.file);
  await writeFile(s.file, appSource("v2 "));
  await restarted(s, 1, "v2 ");
  await writeFile(s.file, appSource("v3 "));
  await restarted(s, 2, "v3 ");
  await s.cli.stop();
});

test("a burst of saves restarts once, with the last save", async () => {
  const s = await supervised("v1 ");
  for (let i = 1; i <= 10; i++) await writeFile(s.file, appSource(`burst${i} `));
  await restarted(s, 1, "burst10 ");
  // A later save is a second restart, not a third: the burst made one.
  await writeFile(s.file, appSource("after "));
  await restarted(s, 2, "after ");
  await s.cli.stop();
});

test("a folder created after the start is watched too", async () => {
  const s = await supervised("v1 ");
  await mkdir(join(s.dir, "lib"));
  await writeFile(join(s.dir, "lib", "reply.ts"), 'export const reply = "lib1 ";\n');
  const usesLib = appSource("").replace('"" + x', "reply + x");
  await writeFile(s.file, `import { reply } from "./lib/reply.ts";\n${usesLib}`);
  await s.cli.url(2);
  assert.equal(await predict(s.url, "x"), "lib1 x");
  await writeFile(join(s.dir, "lib", "reply.ts"), 'export const reply = "lib2 ";\n');
  await restarted(s, 2, "lib2 ", { reason: `${join("lib", "reply.ts")} changed` });
  await s.cli.stop();
});

test("a syntax error is reported, the supervisor stays, and the next good save recovers on the same port", async () => {
  const s = await supervised("v1 ");
  await writeFile(s.file, `${appSource("v2 ")}const broken = ;\n`);
  // tsx's (esbuild's) message, with the file and line, then the supervisor's.
  await s.cli.waitForLines(/app\.ts:\d+:\d+: ERROR: Unexpected ";"/);
  await s.cli.waitForLines(/^The app exited \(code 1\); waiting for a change/);
  assert.equal(s.cli.child.exitCode, null, "the supervisor ended");
  await writeFile(s.file, appSource("v3 "));
  // The broken file never listened: the recovery is the second start.
  await restarted(s, 2, "v3 ", { launches: 2 });
  await s.cli.stop();
});

/** The `data` of the first message of an event stream, and the stream's reader. */
async function firstMessage(url: string): Promise<{ data: string; rest: ReadableStreamDefaultReader<Uint8Array> }> {
  const res = await fetch(url);
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^text\/event-stream/);
  const reader = res.body!.getReader();
  let text = "";
  while (!text.includes("\n\n")) {
    const { done, value } = await reader.read();
    assert.ok(!done, `the stream ended after ${JSON.stringify(text)}`);
    text += Buffer.from(value).toString();
  }
  const data = /^data: (.*)$/m.exec(text);
  assert.ok(data !== null, text);
  return { data: data[1]!, rest: reader };
}

/** Resolves when the stream ends, cleanly or cut. */
async function ended(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
  try {
    while (!(await reader.read()).done);
  } catch {
    // Cut with its process: ended all the same.
  }
}

async function appId(url: string): Promise<{ devMode: unknown; appId: unknown }> {
  const config = (await (await fetch(`${url}/config`)).json()) as Record<string, unknown>;
  return { devMode: config["dev_mode"], appId: config["app_id"] };
}

test("under --reload, dev/reload names the serving process and ends with it; the config says dev_mode", async () => {
  const s = await supervised("v1 ");
  const first = await appId(s.url);
  assert.equal(first.devMode, true);
  const stream = await firstMessage(`${s.url}/gradio_api/dev/reload`);
  assert.equal(stream.data, String(first.appId));
  await writeFile(s.file, appSource("v2 "));
  // The page's stream drops when its process stops: the page then asks again.
  await ended(stream.rest);
  await restarted(s, 1, "v2 ");
  const second = await appId(s.url);
  assert.notEqual(second.appId, first.appId);
  assert.equal((await firstMessage(`${s.url}/gradio_api/dev/reload`)).data, String(second.appId));
  await s.cli.stop();
});

test("with auth, dev/reload needs no login: a restart forgets every login, and the page must still learn of it", async () => {
  const dir = await appFolder();
  const source = appSource("v1 ", { launchItself: true }).replace(
    "{ port: 1,",
    '{ port: 1, auth: [["ada", "s3cret"]],',
  );
  await writeFile(join(dir, "app.ts"), source);
  const cli = usherCli(["app.ts", "--port", "0", "--reload"], dir);
  const url = await cli.url(1);
  assert.equal((await fetch(`${url}/config`)).status, 401);
  assert.match((await firstMessage(`${url}/gradio_api/dev/reload`)).data, /^\d+$/);
  await cli.stop();
});

test("without --reload there is no dev/reload and the config says no dev_mode", async () => {
  const app = await new Interface({ fn: (x: string) => x, inputs: "text", outputs: "text" }).launch({
    port: 0,
    host: "127.0.0.1",
    quiet: true,
    logLevel: false,
    handleSignals: false,
  });
  try {
    assert.equal((await appId(app.url)).devMode, false);
    const res = await fetch(`${app.url}/gradio_api/dev/reload`);
    assert.equal(res.status, 404);
  } finally {
    await app.close();
  }
});
