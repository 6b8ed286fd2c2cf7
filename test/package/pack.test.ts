/**
 * The package as a user gets it: `npm pack` (which builds it), install the tarball in a scratch folder, and a
 * five-line app file answers a prediction.
 */
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

const root = process.cwd();

test("npm pack tarball installs and serves a five-line app", { timeout: 240_000 }, async () => {
  const scratch = mkdtempSync(join(tmpdir(), "usher-pack-"));
  try {
    // `npm pack` alone, as a publisher runs it: its prepack builds dist/ and ui/dist/.
    execFileSync("npm", ["pack", "--silent", "--pack-destination", scratch], { cwd: root, stdio: "pipe" });
    const tarball = readdirSync(scratch).find((f) => f.endsWith(".tgz"));
    assert.ok(tarball, "npm pack made a tarball");
    writeFileSync(join(scratch, "package.json"), JSON.stringify({ name: "scratch", private: true, type: "module" }));
    execFileSync("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", join(scratch, tarball)], {
      cwd: scratch,
      stdio: "pipe",
    });
    writeFileSync(
      join(scratch, "app.mjs"),
      [
        'import { Interface } from "usher-ml";',
        'const demo = new Interface({ fn: (x) => x + "!", inputs: "text", outputs: "text" });',
        "demo.queue();",
        "const app = await demo.launch({ port: 0, quiet: true, logLevel: false });",
        "console.log(app.url);",
      ].join("\n"),
    );
    const child = spawn(process.execPath, ["app.mjs"], { cwd: scratch, stdio: ["ignore", "pipe", "inherit"] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = "";
        child.stdout.setEncoding("utf8");
        child.stdout.on("data", (c: string) => {
          out += c;
          const m = /http:\/\/\S+/.exec(out);
          if (m) resolve(m[0]);
        });
        child.once("exit", (code) => reject(new Error(`app exited with ${code}`)));
      });
      const res = await fetch(`${url}/gradio_api/run/predict`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ data: ["hi"] }),
      });
      assert.equal(res.status, 200);
      assert.deepEqual(((await res.json()) as { data: unknown }).data, ["hi!"]);
    } finally {
      child.kill("SIGTERM");
    }
    // The CLI from the tarball runs a TypeScript app file (tsx ships as a dependency).
    writeFileSync(
      join(scratch, "app.ts"),
      'import { Interface } from "usher-ml";\nexport default new Interface({ fn: (x: string) => x + "?", inputs: "text", outputs: "text" });\n',
    );
    const cli = spawn(join(scratch, "node_modules/.bin/usher"), ["app.ts", "--port", "0"], {
      cwd: scratch,
      stdio: ["ignore", "pipe", "inherit"],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = "";
        cli.stdout.setEncoding("utf8");
        cli.stdout.on("data", (c: string) => {
          out += c;
          const m = /Running on local URL:\s+(http:\/\/\S+)/.exec(out);
          if (m) resolve(m[1]!);
        });
        cli.once("exit", (code) => reject(new Error(`usher app.ts exited with ${code}`)));
      });
      const res = await fetch(`${url}/gradio_api/run/predict`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ data: ["hi"] }),
      });
      assert.deepEqual(((await res.json()) as { data: unknown }).data, ["hi?"]);
    } finally {
      cli.kill("SIGTERM");
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
});
