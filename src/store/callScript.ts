import { createHash } from "node:crypto";
import { Command } from "ioredis";
import type { RedisClient } from "./redisConnect.ts";
import { SCRIPTS, type ScriptName } from "./redisScripts.ts";

/** A script's SHA-1, as `EVALSHA` names it. */
export function sha1(lua: string): string {
  return createHash("sha1").update(lua).digest("hex");
}

/** Each script's SHA-1: hashed once per process, not per store. */
const SHAS = new Map((Object.entries(SCRIPTS) as [ScriptName, string][]).map(([name, lua]) => [name, sha1(lua)]));

/**
 * Runs the store's Lua script `name` with its key and arguments on `client`: `EVALSHA`, and once
 * more as `EVAL` (which loads the script) when Redis answers `NOSCRIPT` (a fresh or restarted
 * Redis, a `SCRIPT FLUSH`). Every script declares one key.
 *
 * Why not ioredis' `defineCommand`: its command copies the arguments with `Array.prototype.flat`,
 * which costs Node 20 about 5 µs for a script's 30 arguments, twice a prediction on a front's hot
 * path (about 5% of its CPU). Here the command is made with no arguments and given the list as it
 * is; nothing else differs (the same command on the same connection, replies decoded as UTF-8).
 */
export function callScript(
  client: RedisClient,
  name: ScriptName,
  key: string,
  args: readonly (string | number)[],
): Promise<unknown> {
  return callLua(client, SCRIPTS[name], SHAS.get(name) as string, key, args);
}

/** {@link callScript} for any Lua text `lua` whose SHA-1 is `sha`. */
export function callLua(
  client: RedisClient,
  lua: string,
  sha: string,
  key: string,
  args: readonly (string | number)[],
): Promise<unknown> {
  // A Redis without the script loads it from its text.
  return sendOnce(client, "evalsha", sha, key, args, "NOSCRIPT", async () => ["eval", lua]);
}

/**
 * Calls function `fn` of Lua library `library` (Redis 7's `FCALL`) with its key and arguments, as
 * {@link callLua} calls a script: when Redis answers that the function is not found (a fresh or
 * restarted Redis, a `FUNCTION FLUSH`), loads the library and calls it once more.
 */
export function callFunction(
  client: RedisClient,
  fn: string,
  library: string,
  key: string,
  args: readonly (string | number)[],
): Promise<unknown> {
  return sendOnce(client, "fcall", fn, key, args, "ERR Function not found", async () =>
    (await loadLibrary(client, library)) ? ["fcall", fn] : null,
  );
}

/**
 * Loads Lua function library `library` (`FUNCTION LOAD`; one of that name loaded already counts).
 * Resolves false when Redis cannot: before 7.0, or a user without the right.
 */
export async function loadLibrary(client: RedisClient, library: string): Promise<boolean> {
  try {
    await client.call("FUNCTION", "LOAD", library);
    return true;
  } catch (err) {
    return err instanceof Error && err.message.includes("already exists");
  }
}

type Verb = "evalsha" | "eval" | "fcall";

/**
 * Sends `verb script` with `key` and `args`; when Redis answers an error starting with `missing`
 * (it lacks the script or function), `recover` makes it present and says how to call it again
 * (null: it cannot, and the error stands), and the call is sent once more.
 */
async function sendOnce(
  client: RedisClient,
  verb: Verb,
  script: string,
  key: string,
  args: readonly (string | number)[],
  missing: string,
  recover: () => Promise<readonly [Verb, string] | null>,
): Promise<unknown> {
  try {
    return await send(client, verb, script, key, args);
  } catch (err) {
    if (!(err instanceof Error) || !err.message.startsWith(missing)) throw err;
    const again = await recover();
    if (again === null) throw err;
    return await send(client, again[0], again[1], key, args);
  }
}

function send(
  client: RedisClient,
  verb: Verb,
  script: string,
  key: string,
  args: readonly (string | number)[],
): Promise<unknown> {
  const command = new Command(verb, [], { replyEncoding: "utf8" });
  // Given after construction, the arguments skip the constructor's conversion too: strings here.
  const list: string[] = [script, "1", key];
  for (const arg of args) list.push(typeof arg === "string" ? arg : String(arg));
  command.args = list;
  void client.sendCommand(command);
  return command.promise;
}
