import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const LOCK_MODULE = fileURLToPath(new URL("../../scripts/buildLock.mjs", import.meta.url));

/**
 * A process that builds `out` under the lock unless it exists: it logs its start, waits 150 ms,
 * writes `out` and logs its end. Resolves with its exit code. `stalePauseMs`: how long it waits
 * between finding the lock's holder dead and taking the lock over.
 */
function builder(dir: string, name: string, stalePauseMs = 0): Promise<number | null> {
  const script = `
    import { appendFileSync, existsSync, writeFileSync } from "node:fs";
    import { buildIfStale } from ${JSON.stringify(LOCK_MODULE)};
    const [dir, name, pause] = process.argv.slice(1);
    const out = dir + "/out";
    const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
    buildIfStale(dir + "/lock", () => (existsSync(out) ? null : "missing"), () => {
      appendFileSync(dir + "/log", "start " + name + "\\n");
      sleep(150);
      writeFileSync(out, name);
      appendFileSync(dir + "/log", "end " + name + "\\n");
    }, { pollMs: 20, onStale: () => sleep(Number(pause)) });
  `;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", script, dir, name, String(stalePauseMs)], {
      stdio: "inherit",
    });
    child.on("error", reject);
    child.on("exit", (code) => resolve(code));
  });
}

/** Makes `dir/lock` as a holder that died left it: its pid file names a pid no process has now. */
async function deadHoldersLock(dir: string): Promise<void> {
  const dead = await new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
    child.on("error", reject);
    child.on("exit", () => resolve(child.pid ?? 0));
  });
  mkdirSync(join(dir, "lock"));
  writeFileSync(join(dir, "lock", "pid"), String(dead));
}

/**
 * Makes `dir/lock` with `pid` in its pid file, then asserts that withBuildLock waits for it rather
 * than taking it over: it gives up past a 100 ms timeout, and its build never runs.
 */
async function assertWaitedFor(dir: string, pid: string): Promise<void> {
  mkdirSync(join(dir, "lock"));
  writeFileSync(join(dir, "lock", "pid"), pid);
  const { withBuildLock } = (await import(LOCK_MODULE)) as {
    withBuildLock(lockDir: string, build: () => unknown, options?: { timeoutMs?: number; pollMs?: number }): unknown;
  };
  let built = false;
  assert.throws(
    () =>
      withBuildLock(
        join(dir, "lock"),
        () => {
          built = true;
        },
        { timeoutMs: 100, pollMs: 20 },
      ),
    /Waited 100 ms for the build holding/,
  );
  assert.equal(built, false);
}

test("processes started together build once: the others wait for that build and find it done", async () => {
  const dir = mkdtempSync(join(tmpdir(), "usher-lock-"));
  try {
    const codes = await Promise.all(["a", "b", "c"].map((name) => builder(dir, name)));
    assert.deepEqual(codes, [0, 0, 0]);
    const log = readFileSync(join(dir, "log"), "utf8").trim().split("\n");
    assert.equal(log.length, 2, `one build, not several: ${log.join(", ")}`);
    const who = log[0]?.split(" ")[1];
    assert.deepEqual(log, [`start ${who}`, `end ${who}`]);
    assert.equal(readFileSync(join(dir, "out"), "utf8"), who);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a lock whose parent folder is missing makes it (a checkout without node_modules yet)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "usher-lock-"));
  try {
    const { withBuildLock } = (await import(LOCK_MODULE)) as {
      withBuildLock(lockDir: string, build: () => unknown): unknown;
    };
    assert.equal(
      withBuildLock(join(dir, "missing", "lock"), () => "built"),
      "built",
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a lock left by a process that died is taken over", async () => {
  const dir = mkdtempSync(join(tmpdir(), "usher-lock-"));
  try {
    await deadHoldersLock(dir);
    assert.equal(await builder(dir, "late"), 0);
    assert.equal(readFileSync(join(dir, "out"), "utf8"), "late");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("waiters that all find a dead holder's lock build once: one takes it over, the others wait for its build", async () => {
  const dir = mkdtempSync(join(tmpdir(), "usher-lock-"));
  try {
    await deadHoldersLock(dir);
    // Each waiter pauses between finding the holder dead and taking over: every one of them has
    // seen the dead holder before any takes over (two removed each other's fresh lock before).
    const codes = await Promise.all(["a", "b", "c"].map((name) => builder(dir, name, 300)));
    assert.deepEqual(codes, [0, 0, 0]);
    const log = readFileSync(join(dir, "log"), "utf8").trim().split("\n");
    assert.equal(log.length, 2, `one build, not several: ${log.join(", ")}`);
    assert.equal(existsSync(join(dir, "lock.takeover")), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a takeover left by a waiter that died in it does not stop the next one taking the dead holder's lock over", {
  timeout: 20_000,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), "usher-lock-"));
  try {
    await deadHoldersLock(dir);
    // The second lock, made 10 s ago by a taker that is gone (a takeover takes microseconds).
    mkdirSync(join(dir, "lock.takeover"));
    const longAgo = new Date(Date.now() - 10_000);
    utimesSync(join(dir, "lock.takeover"), longAgo, longAgo);
    assert.equal(await builder(dir, "next"), 0);
    assert.equal(readFileSync(join(dir, "out"), "utf8"), "next");
    assert.equal(existsSync(join(dir, "lock.takeover")), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a lock held by a live process is waited for, and given up with a clear error past the timeout", async () => {
  const dir = mkdtempSync(join(tmpdir(), "usher-lock-"));
  try {
    await assertWaitedFor(dir, String(process.pid));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a lock whose pid is not written yet (an empty file) is waited for, not taken for a dead holder's", async () => {
  const dir = mkdtempSync(join(tmpdir(), "usher-lock-"));
  try {
    // What a waiter sees between the holder's mkdir and its pid: the two builds at once seen in CI.
    await assertWaitedFor(dir, "");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
