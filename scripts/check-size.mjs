#!/usr/bin/env node
// Fails when a source file under src/ has more than MAX_FILE_LINES lines or a function (declaration,
// method, constructor, accessor, arrow or function expression) spans more than MAX_FUNCTION_LINES
// lines, counted from its first token to its closing brace. A function nested in another counts
// in both. Cases that are better left whole go in ALLOWED, each with its reason.
//
//   node scripts/check-size.mjs [--list]     (--list also prints the 10 longest files and functions)
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));
export const MAX_FILE_LINES = 400;
export const MAX_FUNCTION_LINES = 80;

/**
 * Exceptions, keyed by "path" (a whole file) or "path#function". Each needs a reason a reviewer
 * accepts; an entry that no longer matches anything is reported too, so the list cannot go stale.
 */
const ALLOWED = new Map([
  // Example: ["src/store/redisScripts.ts", "one Lua script per export; splitting a script hides its atomic whole"],
]);

function sourceFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (/\.(ts|tsx|mts|cts)$/.test(name) && !name.endsWith(".d.ts")) out.push(p);
  }
  return out.sort();
}

/** A readable name for a function node: its own, or the variable, property or argument it is. */
function functionName(node) {
  if (ts.isConstructorDeclaration(node)) return "constructor";
  if (node.name !== undefined) return node.name.getText();
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent) || ts.isPropertyDeclaration(parent) || ts.isPropertyAssignment(parent))
    return parent.name.getText();
  if (ts.isCallExpression(parent)) return `<callback of ${parent.expression.getText().slice(0, 40)}>`;
  return "<anonymous>";
}

function isFunctionLike(node) {
  return (
    ts.isFunctionDeclaration(node) ||
    ts.isMethodDeclaration(node) ||
    ts.isConstructorDeclaration(node) ||
    ts.isGetAccessorDeclaration(node) ||
    ts.isSetAccessorDeclaration(node) ||
    ts.isArrowFunction(node) ||
    ts.isFunctionExpression(node)
  );
}

/** Every file and function of src/ with its line count. */
export function measure(root = ROOT) {
  const files = [];
  const functions = [];
  for (const path of sourceFiles(join(root, "src"))) {
    const rel = relative(root, path).split("\\").join("/");
    const text = readFileSync(path, "utf8");
    const lines = text.endsWith("\n") ? text.split("\n").length - 1 : text.split("\n").length;
    files.push({ key: rel, lines });
    const sf = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
    const visit = (node) => {
      if (isFunctionLike(node) && node.body !== undefined) {
        const first = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
        const last = sf.getLineAndCharacterOfPosition(node.getEnd()).line;
        functions.push({ key: `${rel}#${functionName(node)}`, line: first + 1, lines: last - first + 1 });
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return { files, functions };
}

const { files, functions } = measure();
const problems = [];
const used = new Set();
for (const f of files) {
  if (f.lines <= MAX_FILE_LINES) continue;
  if (ALLOWED.has(f.key)) used.add(f.key);
  else problems.push(`${f.key}: ${f.lines} lines (most ${MAX_FILE_LINES})`);
}
for (const f of functions) {
  if (f.lines <= MAX_FUNCTION_LINES) continue;
  if (ALLOWED.has(f.key)) used.add(f.key);
  else problems.push(`${f.key.replace("#", `:${f.line} `)}: ${f.lines} lines (most ${MAX_FUNCTION_LINES})`);
}
for (const key of ALLOWED.keys())
  if (!used.has(key))
    problems.push(`${key}: allowed in scripts/check-size.mjs but no longer too long; remove it from ALLOWED`);

if (process.argv.includes("--list")) {
  const top = (list) => [...list].sort((a, b) => b.lines - a.lines).slice(0, 10);
  for (const f of top(files)) console.log(`${String(f.lines).padStart(5)}  ${f.key}`);
  console.log("");
  for (const f of top(functions)) console.log(`${String(f.lines).padStart(5)}  ${f.key.replace("#", `:${f.line} `)}`);
  console.log("");
}
if (problems.length > 0) {
  console.error(
    `check-size: ${problems.length} over the limits (files ${MAX_FILE_LINES} lines, functions ${MAX_FUNCTION_LINES}):`,
  );
  for (const p of problems) console.error(`  ${p}`);
  process.exit(1);
}
console.log(
  `check-size: ${files.length} files of src/ within ${MAX_FILE_LINES} lines, ${functions.length} functions within ${MAX_FUNCTION_LINES}.`,
);
