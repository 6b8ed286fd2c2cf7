/**
 * Every command in the README's ```sh blocks is exercised by a test. The cheap ones run here as
 * written (only the port is swapped for a free one): the identity example with its environment,
 * and the two curl calls against it. The others are run by the test named beside them, which must
 * still contain what proves it (a new README command with no entry here fails this test).
 */
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { promisify } from "node:util";
import { after, test } from "node:test";
import { deleteKeys, TEST_PREFIX_ROOT } from "../helpers/redis.ts";
import { freePort } from "../helpers/redisProcess.ts";

const run = promisify(execFile);
const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");

/** The README's shell commands: each line of its ```sh blocks, comments and output lines left out. */
function readmeCommands(): string[] {
  const out: string[] = [];
  for (const block of readme.matchAll(/```sh\n([\s\S]*?)```/g)) {
    for (const raw of block[1]!.split("\n")) {
      const line = raw.replace(/\s{2,}#.*$/, "").trim();
      if (line !== "" && !line.startsWith("#")) out.push(line);
    }
  }
  return out;
}

/** Where a command that does not run here is run: the test file, and what in it proves it. */
const ELSEWHERE: { readonly command: RegExp; readonly test: string; readonly proof: string }[] = [
  // `npm test` is what CI runs (.ci/run); this file is one of its tests.
  { command: /^npm test$/, test: ".ci/run", proof: "npm test" },
  { command: /^npm run test:unit$/, test: "test/readme/readmeCommands.test.ts", proof: '"test:unit"' },
  // The showcase that `npm start` serves, every tab with its real model.
  { command: /^npm ci && npm start$/, test: "test/demo/showcase.test.ts", proof: "createShowcase" },
  { command: /^npx usher app\.ts$/, test: "test/cli/packageLayouts.test.ts", proof: '["app.ts", "--port", "0"]' },
  { command: /^npx usher app\.ts --port \d+ --host [\d.]+$/, test: "test/cli/usher.test.ts", proof: '"--host"' },
  { command: /^npx usher app\.ts --reload$/, test: "test/cli/reload.test.ts", proof: '"--reload"' },
  // The own-project section, word for word on the packed tarball.
  {
    command: /^mkdir my-demo && cd my-demo$/,
    test: "test/package/pack.test.ts",
    proof: "Use Usher in your own project",
  },
  { command: /^npm init -y && npm pkg set type=module$/, test: "test/package/pack.test.ts", proof: "setup" },
  { command: /^npm install usher-ml tsx$/, test: "test/package/pack.test.ts", proof: "tsx" },
];

/** Commands this file runs itself (see the tests below). */
const HERE = [
  /^PORT=\d+ CONCURRENCY_COUNT=4 MAX_SIZE=500 BATCH=16 npm run example:identity$/,
  /^curl /,
  /^REDIS_URL=\S+ PORT=\d+ LOCAL_WORKERS=0 npm run example:identity &$/,
  /^REDIS_URL=\S+ node --conditions=usher-source bin\/usher\.mjs worker examples\/identity\.ts &$/,
  /^TRUST_PROXY=1 MAX_PER_CLIENT=2 DELAY_MS=\d+ npm run example:identity$/,
  /^for ip in [\d. ]+; do curl .+; done$/,
];

test("every README command runs here or in the test named for it", () => {
  const commands = readmeCommands();
  assert.ok(commands.length >= 10, `found ${commands.length} commands`);
  for (const c of commands) {
    if (HERE.some((r) => r.test(c))) continue;
    const where = ELSEWHERE.find((e) => e.command.test(c));
    assert.ok(where, `README command with no test: ${c}`);
    assert.ok(existsSync(where.test), `${where.test} exists`);
    assert.ok(readFileSync(where.test, "utf8").includes(where.proof), `${where.test} still runs: ${c}`);
  }
});

/**
 * Runs a README command line in bash, in its own process group (ended after the test), and
 * resolves once its output includes `ready`.
 */
async function start(line: string, ready: string): Promise<void> {
  const child = spawn("bash", ["-c", line.replace(/\s*&$/, "")], {
    detached: true,
    stdio: ["ignore", "pipe", "inherit"],
  });
  after(() => {
    try {
      process.kill(-child.pid!, "SIGTERM");
    } catch {
      // Already gone.
    }
  });
  await new Promise<void>((resolve, reject) => {
    let out = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      out += chunk;
      if (out.includes(ready)) resolve();
    });
    child.once("exit", (code) => reject(new Error(`${line} exited with ${code}: ${out}`)));
  });
}

test("the identity example with the README's environment, called with the README's curl lines", async () => {
  const commands = readmeCommands();
  const example = commands.find((c) => HERE[0]!.test(c));
  assert.ok(example, "README has the example:identity line");
  const port = await freePort();
  await start(example.replace(/^PORT=\d+/, `PORT=${port}`), `127.0.0.1:${port}`);
  const curls = commands
    .filter((c) => c.startsWith("curl "))
    .map((c) => c.replaceAll("127.0.0.1:7860", `127.0.0.1:${port}`));
  assert.equal(curls.length, 2, "a join and a read");
  const join = await run("bash", ["-c", curls[0]!]);
  const eventId = (JSON.parse(join.stdout) as { event_id: string }).event_id;
  assert.match(eventId, /^\w+$/);
  const read = await run("bash", ["-c", curls[1]!.replace("<event_id>", eventId)]);
  assert.match(read.stdout, /event: complete\ndata: \["hi"\]/);
});

test("the fair queue's lines: one client's third request is refused, another client's accepted", async () => {
  const commands = readmeCommands();
  const example = commands.find((c) => HERE[4]!.test(c));
  const loop = commands.find((c) => HERE[5]!.test(c));
  assert.ok(example !== undefined && loop !== undefined, "README has the fair queue's example and loop");
  const port = await freePort();
  await start(`PORT=${port} ${example}`, `127.0.0.1:${port}`);
  const { stdout } = await run("bash", ["-c", loop.replaceAll("127.0.0.1:7860", `127.0.0.1:${port}`)]);
  const answers = stdout.trim().split("\n");
  assert.equal(answers.length, 4, stdout);
  for (const i of [0, 1, 3]) assert.match(answers[i]!, /^\{"event_id":"\w+"\} 200$/);
  assert.equal(answers[2], '{"detail":"You already have 2 requests waiting or running; wait for one to finish."} 429');
});

test("the README's scale-out lines: two fronts without workers and a CLI worker share one queue", async () => {
  const lines = readmeCommands().filter((c) => HERE[2]!.test(c) || HERE[3]!.test(c));
  assert.equal(lines.length, 3, "two fronts and a worker");
  // A key prefix of this test's own, so that nothing else on this Redis is touched.
  const prefix = `${TEST_PREFIX_ROOT}readme:`;
  after(() => deleteKeys(prefix));
  const urls: string[] = [];
  for (const line of lines) {
    const port = await freePort();
    const withEnv = `REDIS_PREFIX=${prefix} ${line.replace(/ PORT=\d+ /, ` PORT=${port} `)}`;
    if (line.includes(" worker ")) await start(withEnv, "worker");
    else {
      await start(withEnv, `127.0.0.1:${port}`);
      urls.push(`http://127.0.0.1:${port}`);
    }
  }
  // Neither front runs jobs: each answer went through the queue to the worker.
  for (const [i, url] of urls.entries()) {
    const join = await fetch(`${url}/gradio_api/call/predict`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ data: [`front ${i}`] }),
    });
    const { event_id } = (await join.json()) as { event_id: string };
    const read = await (await fetch(`${url}/gradio_api/call/predict/${event_id}`)).text();
    assert.match(read, new RegExp(`event: complete\ndata: \\["front ${i}"\\]`));
  }
});

test("the README's examples table: each `npm run example` runs in a test, worker.ts here", async () => {
  const examples = [...readme.matchAll(/`npm run example examples\/(\w+)\.ts`/g)].map((m) => m[1]!);
  assert.ok(examples.length >= 6, `found ${examples.length}`);
  const tested = readFileSync("test/examples/examples.test.ts", "utf8");
  for (const name of examples.filter((n) => n !== "worker")) {
    assert.ok(tested.includes(`launchExample("${name}")`), `test/examples/examples.test.ts runs ${name}.ts`);
  }
  assert.ok(examples.includes("worker"));
  const port = await freePort();
  await start(`PORT=${port} WORKER_THREADS=2 npm run example examples/worker.ts`, `127.0.0.1:${port}`);
  const join = await fetch(`http://127.0.0.1:${port}/gradio_api/call/count_primes`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ data: [1_000_000] }),
  });
  const { event_id } = (await join.json()) as { event_id: string };
  const read = await (await fetch(`http://127.0.0.1:${port}/gradio_api/call/count_primes/${event_id}`)).text();
  assert.match(read, /event: complete\ndata: \["78,498 primes up to 1,000,000 \(worker thread \d+\)"\]/);
});

test("npm run test:unit, the quick tier, passes", { timeout: 300_000 }, async () => {
  assert.ok(readmeCommands().includes("npm run test:unit"));
  // Not as a child of this test run (NODE_TEST_CONTEXT would make it report to this one): alone.
  const env = { ...process.env };
  delete env["NODE_TEST_CONTEXT"];
  const { stdout } = await run("npm", ["run", "test:unit"], { env, maxBuffer: 64 * 1024 * 1024 });
  assert.match(stdout, /^ℹ fail 0$/m);
});
