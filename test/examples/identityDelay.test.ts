/**
 * examples/identity.ts reads DELAY_MS: its function waits that long before answering (fault
 * scenarios replay with a job that is still running); without it, it answers at once.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, test } from "node:test";
import { Client } from "@gradio/client";
import { REPO_ROOT } from "../helpers/processes.ts";

async function startIdentity(env: Record<string, string>): Promise<string> {
  const child = spawn(process.execPath, ["--conditions=usher-source", "--import", "tsx", "examples/identity.ts"], {
    cwd: REPO_ROOT,
    env: { ...process.env, PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  after(() => {
    child.kill("SIGKILL");
  });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      out += chunk;
      const m = /Running on local URL:\s+(http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once("exit", (code) => reject(new Error(`examples/identity.ts exited with ${code}: ${out}`)));
  });
}

const [slow, fast] = await Promise.all([startIdentity({ DELAY_MS: "700" }), startIdentity({})]);

test("DELAY_MS=700 makes the identity example answer after 700 ms; unset, at once", async () => {
  const time = async (url: string) => {
    const client = await Client.connect(url);
    const t0 = performance.now();
    const r = (await client.predict("/predict", ["hi"])) as { data: unknown[] };
    const ms = performance.now() - t0;
    client.close();
    return { data: r.data, ms };
  };
  const s = await time(slow);
  assert.deepEqual(s.data, ["hi"]);
  assert.ok(s.ms >= 700, `answered after ${s.ms.toFixed(0)} ms`);
  const f = await time(fast);
  assert.deepEqual(f.data, ["hi"]);
  assert.ok(f.ms < 600, `answered after ${f.ms.toFixed(0)} ms`);
});
