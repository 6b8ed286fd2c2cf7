/**
 * The `usher` CLI (bin/usher.mjs): launches an app file's exported app, overrides the port of a
 * file that launches itself, and explains a file with no app. `--reload`: reload.test.ts.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { appFolder, appSource, predict, usherCli } from "./usherCli.ts";

const dir = await appFolder();

test("launches the default export on --port and --host, and stops on SIGTERM", async () => {
  await writeFile(join(dir, "app.ts"), appSource("hi "));
  const c = usherCli(["app.ts", "--port", "0", "--host", "127.0.0.1"], dir);
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
  await writeFile(join(dir, "self.ts"), appSource("self ", { launchItself: true }));
  const c = usherCli(["run", "self.ts", "--port", "0"], dir);
  const url = await c.url();
  assert.doesNotMatch(url, /:1$/);
  assert.equal(await predict(url, "x"), "self x");
  // Everything the process ever printed: its output once it has ended and its pipes closed.
  const closed = once(c.child, "close");
  await c.stop();
  await closed;
  assert.equal([...c.output().matchAll(/Running on local URL/g)].length, 1);
});

test("a file with no app and no launch() is an error that says what to export", async () => {
  await writeFile(join(dir, "empty.ts"), "export const answer = 42;\n");
  const c = usherCli(["empty.ts"], dir);
  // "close": the process has ended and its pipes have given all it printed.
  const [code] = (await once(c.child, "close")) as [number];
  assert.equal(code, 1);
  assert.match(c.output(), /exports no app: export your Blocks or Interface as the default export/);
});
