/**
 * Usher as the bench runs it: the built package (dist/, what `npm install usher` gives a user),
 * which `npm run bench` builds first (scripts/ensure-dist.mjs). USHER_FROM=source runs src/
 * through tsx instead, to measure a change without a build; that path is slower per request
 * (tsx's transform), so figures from it are not comparable with recorded ones.
 */
import type * as Usher from "../../src/index.ts";

/** The module specifier of Usher's public API, relative to this file. */
const ENTRY: string = process.env["USHER_FROM"] === "source" ? "../../src/index.ts" : "../../dist/index.js";

/** Imports Usher's public API (see the file comment for which build). */
export async function loadUsher(): Promise<typeof Usher> {
  return (await import(ENTRY)) as typeof Usher;
}
