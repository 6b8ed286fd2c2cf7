/**
 * Usher as the bench runs it: the built package (dist/, what `npm install usher` gives a user),
 * which `npm run bench` builds first (scripts/ensure-dist.mjs). USHER_FROM=source runs src/
 * through tsx instead, to measure a change without a build; that path is slower per request
 * (tsx's transform), so figures from it are not comparable with recorded ones.
 */
import type * as Usher from "../../src/index.ts";
import type * as UsherRedis from "../../src/redis.ts";
import type * as UsherStores from "../../src/store/index.ts";

const FROM_SOURCE = process.env["USHER_FROM"] === "source";
/** The module specifiers of Usher's public API and its Redis store, relative to this file. */
const ENTRY: string = FROM_SOURCE ? "../../src/index.ts" : "../../dist/index.js";
const REDIS_ENTRY: string = FROM_SOURCE ? "../../src/redis.ts" : "../../dist/redis.js";
const STORES_ENTRY: string = FROM_SOURCE ? "../../src/store/index.ts" : "../../dist/store/index.js";

/** Imports Usher's public API (see the file comment for which build). */
export async function loadUsher(): Promise<typeof Usher> {
  return (await import(ENTRY)) as typeof Usher;
}

/** Imports `usher-ml/redis` from the same build as {@link loadUsher}. */
export async function loadUsherRedis(): Promise<typeof UsherRedis> {
  return (await import(REDIS_ENTRY)) as typeof UsherRedis;
}

/** Imports Usher's stores (not its public API: the bench's probes build on them) from the same build. */
export async function loadUsherStores(): Promise<typeof UsherStores> {
  return (await import(STORES_ENTRY)) as typeof UsherStores;
}
