/**
 * Logs (issue 18, item 6): an AppError is the app talking to its user, logged at warn with its
 * message and no stack; an unexpected error stays at error with its stack; with structured
 * logging on, every line the server writes is JSON (Usher's warnings included), the start banner
 * aside. Checked on the streams of a real app in a child process, and on a captured pino stream.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { Writable } from "node:stream";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import pino from "pino";
import { AppError } from "../../src/index.ts";
import { logFunctionFailure } from "../../src/server/logFunctionErrors.ts";
import { routeWarnings, usherWarning } from "../../src/warnings.ts";

type LogRecord = Record<string, unknown>;

/** A pino logger whose lines land in the returned array, parsed. */
function capturedLogger(): { log: pino.Logger; records: LogRecord[] } {
  const records: LogRecord[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString("utf8").split("\n"))
        if (line !== "") records.push(JSON.parse(line) as LogRecord);
      done();
    },
  });
  return { log: pino({ level: "info" }, stream), records };
}

const WARN = 40;
const ERROR = 50;

test("an AppError is a warning with its message and no stack; anything else an error with its stack", async () => {
  const { log, records } = capturedLogger();
  const appError = new AppError("Type some text first.");
  logFunctionFailure(log, { eventId: "e1" }, "APP_ERROR", appError.message, appError);
  logFunctionFailure(log, { eventId: "e2" }, "FUNCTION_ERROR", null, new Error("boom"));
  logFunctionFailure(log, { eventId: "e3" }, "FUNCTION_ERROR", null, "a thrown string");
  await new Promise((r) => setImmediate(r));
  const [warned, failed, thrownString] = records;
  assert.equal(warned?.["level"], WARN);
  assert.equal(warned?.["code"], "APP_ERROR");
  assert.equal(warned?.["error"], "Type some text first.");
  assert.equal(warned?.["err"], undefined);
  assert.ok(!JSON.stringify(warned).includes("at "), "no stack frame");
  assert.equal(failed?.["level"], ERROR);
  const err = failed?.["err"] as { message: string; stack: string };
  assert.equal(err.message, "boom");
  assert.match(err.stack, /\n\s+at /);
  assert.equal(thrownString?.["level"], ERROR);
  assert.equal(thrownString?.["cause"], "a thrown string");
});

test("Usher's warnings go to the newest routed log while it is routed, else to Node's process warnings", async () => {
  const first = capturedLogger();
  const second = capturedLogger();
  const unrouteFirst = routeWarnings((type, message) => first.log.warn({ type }, message));
  const unrouteSecond = routeWarnings((type, message) => second.log.warn({ type }, message));
  usherWarning("UsherStoreWarning", "to the second");
  unrouteSecond();
  usherWarning("UsherStoreWarning", "to the first");
  unrouteFirst();
  const processWarnings: Error[] = [];
  const onWarning = (w: Error): void => void processWarnings.push(w);
  process.on("warning", onWarning);
  usherWarning("UsherStoreWarning", "to the process");
  await new Promise((r) => setImmediate(r));
  process.off("warning", onWarning);
  assert.deepEqual(
    second.records.map((r) => [r["level"], r["type"], r["msg"]]),
    [[WARN, "UsherStoreWarning", "to the second"]],
  );
  assert.deepEqual(
    first.records.map((r) => r["msg"]),
    ["to the first"],
  );
  assert.deepEqual(
    processWarnings.map((w) => [w.name, w.message]),
    [["UsherStoreWarning", "to the process"]],
  );
});

test("a real app with structured logging: every line is JSON but the banner; AppErrors warn, bugs err with stacks", async () => {
  const fixture = fileURLToPath(new URL("./fixtures/loggingApp.ts", import.meta.url));
  const child = spawn(process.execPath, ["--conditions=usher-source", "--import", "tsx", fixture], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
  assert.equal(code, 0, stderr);
  // Nothing bypasses the log to stderr (Usher's warnings used to be plain process warnings there).
  assert.equal(stderr, "");

  const lines = stdout.split("\n").filter((l) => l !== "");
  const banners = lines.filter((l) => !l.startsWith("{"));
  assert.deepEqual(
    banners.map((l) => l.replace(/http:\S+/, "URL")),
    ["Running on local URL:  URL"],
  );
  const records = lines.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as LogRecord);

  const failures = records.filter((r) => r["msg"] === "function failed");
  const appErrors = failures.filter((r) => r["code"] === "APP_ERROR");
  const bugs = failures.filter((r) => r["code"] === "FUNCTION_ERROR");
  // One of each through the queue (with the event id) and one of each through /run (with the name).
  assert.equal(appErrors.length, 2, stdout);
  assert.equal(bugs.length, 2, stdout);
  for (const r of appErrors) {
    assert.equal(r["level"], WARN);
    assert.equal(r["error"], "Type some text first.");
    assert.ok(!JSON.stringify(r).includes("stack"), JSON.stringify(r));
  }
  for (const r of bugs) {
    assert.equal(r["level"], ERROR);
    assert.match((r["err"] as { stack: string }).stack, /^Error: boom\n\s+at /);
  }
  assert.ok(appErrors.some((r) => /^[0-9a-f]{32}$/.test(String(r["eventId"]))));
  assert.ok(appErrors.some((r) => r["fn"] === "check"));

  const warning = records.find((r) => r["type"] === "UsherListenerWarning");
  assert.equal(warning?.["level"], WARN);
  assert.match(String(warning?.["msg"]), /listener threw: Error: listener bug/);
  assert.ok(
    records.some((r) => r["msg"] === "refusing requests"),
    "the refusal is logged too",
  );
});
