/**
 * examples/identity.ts reads the fair queue's environment: FAIRNESS (0: strict FIFO), TRUST_PROXY
 * (1: X-Forwarded-For from loopback names the client, so that one machine plays several) and
 * MAX_WAIT_MS (a join predicted to wait longer is refused with 503 and Retry-After). MAX_PER_CLIENT
 * is run by the README's own lines (test/readme/readmeCommands.test.ts).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, test } from "node:test";
import { REPO_ROOT } from "../helpers/processes.ts";

async function startIdentity(env: Record<string, string>): Promise<string> {
  const child = spawn(process.execPath, ["--conditions=usher-source", "--import", "tsx", "examples/identity.ts"], {
    cwd: REPO_ROOT,
    env: { ...process.env, PORT: "0", DELAY_MS: "300", ...env },
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
      if (m) resolve(m[1]!.replace(/\/$/, ""));
    });
    child.once("exit", (code) => reject(new Error(`examples/identity.ts exited with ${code}: ${out}`)));
  });
}

/** `POST /call/predict` (as client `address`, when given): the response, not yet read. */
function join(url: string, input: string, address?: string): Promise<Response> {
  return fetch(`${url}/gradio_api/call/predict`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(address === undefined ? {} : { "x-forwarded-for": address }) },
    body: JSON.stringify({ data: [input] }),
  });
}

/** Client A joins three, then client B one; resolves with the inputs in the order they completed. */
async function completionOrder(url: string): Promise<string[]> {
  const order: string[] = [];
  const reads: Promise<void>[] = [];
  for (const [input, address] of [
    ["a1", "10.0.0.1"],
    ["a2", "10.0.0.1"],
    ["a3", "10.0.0.1"],
    ["b1", "10.0.0.2"],
  ] as const) {
    const { event_id } = (await (await join(url, input, address)).json()) as { event_id: string };
    reads.push(
      fetch(`${url}/gradio_api/call/predict/${event_id}`, { headers: { "x-forwarded-for": address } })
        .then((r) => r.text())
        .then((text) => {
          assert.match(text, new RegExp(`event: complete\\ndata: \\["${input}"\\]`));
          order.push(input);
        }),
    );
  }
  await Promise.all(reads);
  return order;
}

const [fair, fifo, untrusted, limited] = await Promise.all([
  startIdentity({ TRUST_PROXY: "1" }),
  startIdentity({ TRUST_PROXY: "1", FAIRNESS: "0" }),
  startIdentity({}),
  startIdentity({ MAX_WAIT_MS: "500" }),
]);

test("TRUST_PROXY=1: clients take turns (B's job passes A's third); FAIRNESS=0: first come, first served", async () => {
  const [withTurns, strict] = await Promise.all([completionOrder(fair), completionOrder(fifo)]);
  // a1 runs; a2 waits with A's turn already in the ring, B's turn comes next.
  assert.deepEqual(withTurns, ["a1", "a2", "b1", "a3"]);
  assert.deepEqual(strict, ["a1", "a2", "a3", "b1"]);
});

test("without TRUST_PROXY, X-Forwarded-For is not believed: every request is the same client, FIFO", async () => {
  assert.deepEqual(await completionOrder(untrusted), ["a1", "a2", "a3", "b1"]);
});

test("MAX_WAIT_MS=500 with a 300 ms function: the third join at once is refused with 503 and Retry-After", async () => {
  // One run first, so that the estimator knows the function's time.
  const warm = (await (await join(limited, "warm")).json()) as { event_id: string };
  await (await fetch(`${limited}/gradio_api/call/predict/${warm.event_id}`)).text();
  const answers = [];
  for (const input of ["j1", "j2", "j3"]) answers.push(await join(limited, input));
  assert.deepEqual(
    answers.map((r) => r.status),
    [200, 200, 503],
  );
  const refused = answers[2]!;
  assert.ok(Number(refused.headers.get("retry-after")) >= 1, `Retry-After ${refused.headers.get("retry-after")}`);
  assert.match(
    ((await refused.json()) as { detail: string }).detail,
    /^Busy: about .* to wait, over this demo's limit/,
  );
  for (const r of answers.slice(0, 2)) await r.text();
});
