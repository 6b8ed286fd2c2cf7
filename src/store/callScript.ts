import { createHash } from "node:crypto";
import { Command } from "ioredis";
import type { RedisClient } from "./redisConnect.ts";
import { SCRIPTS, type ScriptName } from "./redisScripts.ts";

/** Each script's SHA-1, as `EVALSHA` names it: hashed once per process, not per store. */
const SHAS = new Map(
  (Object.entries(SCRIPTS) as [ScriptName, string][]).map(([name, lua]) => [
    name,
    createHash("sha1").update(lua).digest("hex"),
  ]),
);

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
export async function callScript(
  client: RedisClient,
  name: ScriptName,
  key: string,
  args: readonly (string | number)[],
): Promise<unknown> {
  try {
    return await send(client, "evalsha", SHAS.get(name) as string, key, args);
  } catch (err) {
    if (!(err instanceof Error) || !err.message.startsWith("NOSCRIPT")) throw err;
    return await send(client, "eval", SCRIPTS[name], key, args);
  }
}

function send(
  client: RedisClient,
  verb: "evalsha" | "eval",
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
