import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));

/** Every .ts/.tsx file under `dir`, recursively. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return /\.tsx?$/.test(e.name) ? [path] : [];
  });
}

/** The files a source file imports (relative specifiers only), as paths from the repository root. */
function relativeImports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const from = /^\s*(?:import|export)\b[^;]*?\bfrom\s+"(\.{1,2}\/[^"]+)"/gm;
  const specs = [...text.matchAll(from)].map((m) => m[1] as string);
  return specs.map((s) => relative(ROOT, resolve(file, "..", s)));
}

test("protocol/ imports nothing but protocol/ (no engine, server or app model)", () => {
  const outside = sources(join(ROOT, "src/protocol")).flatMap((f) =>
    relativeImports(f)
      .filter((to) => !to.startsWith("src/protocol/"))
      .map((to) => `${relative(ROOT, f)} → ${to}`),
  );
  assert.deepEqual(outside, []);
});

test("the page imports only protocol/ from the server's sources", () => {
  const outside = sources(join(ROOT, "ui/src")).flatMap((f) =>
    relativeImports(f)
      .filter((to) => !to.startsWith("ui/") && !to.startsWith("src/protocol/"))
      .map((to) => `${relative(ROOT, f)} → ${to}`),
  );
  assert.deepEqual(outside, []);
});
