// One build of an output at a time across processes. The README's scale-out example starts two
// fronts and a worker at once; each found the page missing and built it, and each build emptied
// ui/dist under the processes already serving from it.
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

/** How long a lock with no holder's pid in it yet is taken for one being made, ms. */
const UNNAMED_GRACE_MS = 5_000;

/** Blocks the thread for `ms` (the callers are synchronous scripts run before a server starts). */
function sleepSync(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Whether `path` was made more than {@link UNNAMED_GRACE_MS} ago (false when it is gone). */
function olderThanGrace(path) {
  try {
    return Date.now() - statSync(path).mtimeMs > UNNAMED_GRACE_MS;
  } catch {
    return false;
  }
}

/** Whether the process that made `lockDir` is gone (its pid no longer runs), so the lock is stale. */
function holderGone(lockDir) {
  let pid = 0;
  try {
    pid = Number(readFileSync(join(lockDir, "pid"), "utf8"));
  } catch {
    // No pid yet: read below as a lock not yet named.
  }
  if (!(pid > 0)) {
    // Made but not yet named (a holder between its mkdir and its pid's rename), unless long ago.
    return olderThanGrace(lockDir);
  }
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return err.code === "ESRCH";
  }
}

/**
 * Removes the lock `lockDir` of a dead holder, once: under a second lock (`<lockDir>.takeover`),
 * after looking again that its holder is gone. Without it, two waiters that both found the holder
 * dead could each remove the lock, the second removing the one the first had just made, and build
 * at once. A takeover lock older than {@link UNNAMED_GRACE_MS} is a dead taker's (a takeover takes
 * microseconds) and goes. Returns false when another waiter is taking the lock over. `onStale`,
 * for tests: called between the first look and the takeover.
 */
function takeOver(lockDir, onStale) {
  onStale?.();
  const takeover = `${lockDir}.takeover`;
  try {
    mkdirSync(takeover, { recursive: false });
  } catch (err) {
    if (err.code !== "EEXIST") throw err;
    if (olderThanGrace(takeover)) rmSync(takeover, { recursive: true, force: true });
    // Another waiter is taking the lock over: look again in a moment.
    return false;
  }
  try {
    if (holderGone(lockDir)) rmSync(lockDir, { recursive: true, force: true });
  } finally {
    rmSync(takeover, { recursive: true, force: true });
  }
  return true;
}

/**
 * Runs `build` while holding the lock `lockDir` (a folder: `mkdir` is atomic), after any other
 * process' build under the same lock has finished, and returns what it returned. `build` should
 * look again whether it is needed: the build it waited for may have made it current. A lock whose
 * holder died is taken over (by one waiter). Throws when another holder keeps it longer than
 * `timeoutMs`. `onStale` is for tests (see {@link takeOver}).
 */
export function withBuildLock(lockDir, build, { timeoutMs = 600_000, pollMs = 100, onStale } = {}) {
  const deadline = Date.now() + timeoutMs;
  // The lock's own folder must be made by one mkdir (that is the lock); its parent may be missing.
  mkdirSync(dirname(lockDir), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lockDir, { recursive: false });
    } catch (err) {
      if (err.code !== "EEXIST") throw err;
      if (holderGone(lockDir)) {
        if (!takeOver(lockDir, onStale)) sleepSync(pollMs);
      } else if (Date.now() > deadline) throw new Error(`Waited ${timeoutMs} ms for the build holding ${lockDir}`);
      else sleepSync(pollMs);
      continue;
    }
    try {
      // Written aside and renamed in: a waiter never reads a pid file half written (an empty one
      // read as a dead holder let two processes build at once).
      writeFileSync(join(lockDir, "pid.tmp"), String(process.pid));
      renameSync(join(lockDir, "pid.tmp"), join(lockDir, "pid"));
      return build();
    } finally {
      rmSync(lockDir, { recursive: true, force: true });
    }
  }
}

/**
 * Runs `build(reason)` when `stale()` gives a reason (it throws when the build fails), under the
 * lock `lockDir`, asking `stale()` again once the lock is held: a build another process made while
 * this one waited leaves nothing to do. Returns whether this process built. `options`: those of
 * {@link withBuildLock}.
 */
export function buildIfStale(lockDir, stale, build, options = {}) {
  if (stale() === null) return false;
  return withBuildLock(
    lockDir,
    () => {
      const reason = stale();
      if (reason === null) return false;
      build(reason);
      return true;
    },
    options,
  );
}
