/**
 * The fair-queue scenarios' load side: each user sends its own headers on its join and its stream,
 * a refusal's Retry-After is read (both HTTP clients), a user retries when told, and the `limit`
 * figures count what the retries got.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { runArrivals } from "../../bench/load/runArrivals.ts";
import { SseTransport } from "../../bench/load/SseTransport.ts";
import { limitFigures } from "../../bench/report/fairFigures.ts";

/** Refuses each session's first join (503 or 429, `Retry-After: 0`, none for "bare"); echoes the rest. */
async function refusingServer(): Promise<{ url: string; seen: string[]; close(): void }> {
  const seen: string[] = [];
  const joins = new Map<string, number>();
  const inputs = new Map<string, { eventId: string; input: string }>();
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${String(req.headers["x-forwarded-for"])}`);
    if (req.method === "POST") {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        const join = JSON.parse(body) as { data: string[]; session_hash: string };
        const n = (joins.get(join.session_hash) ?? 0) + 1;
        joins.set(join.session_hash, n);
        const input = join.data[0]!;
        if (n === 1) {
          if (input !== "bare") res.setHeader("retry-after", "0");
          res.statusCode = input === "many" ? 429 : 503;
          return res.end(JSON.stringify({ detail: "busy" }));
        }
        inputs.set(join.session_hash, { eventId: `e${n}`, input });
        res.setHeader("content-type", "application/json").end(JSON.stringify({ event_id: `e${n}` }));
      });
      return;
    }
    const hash = new URL(req.url ?? "", "http://x").searchParams.get("session_hash") ?? "";
    const job = inputs.get(hash)!;
    const completed = { msg: "process_completed", event_id: job.eventId, success: true, output: { data: [job.input] } };
    res.setHeader("content-type", "text/event-stream");
    res.end(
      `data: ${JSON.stringify(completed)}\n\ndata: ${JSON.stringify({ msg: "close_stream", event_id: null })}\n\n`,
    );
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, seen, close: () => server.close() };
}

for (const client of ["raw", "node-http"] as const) {
  test(`runArrivals over ${client}: headers on every request, a retry after Retry-After, none without it`, async () => {
    const server = await refusingServer();
    try {
      const transport = new SseTransport(server.url, {
        client,
        headers: (user) => ({ "x-forwarded-for": `10.0.0.${user}` }),
      });
      const arrivals = [
        { atMs: 0, user: 1, input: "full" },
        { atMs: 5, user: 2, input: "many" },
        { atMs: 10, user: 3, input: "bare" },
      ];
      const run = await runArrivals(transport, arrivals, { timeoutMs: 5000, retryWithinMs: 5000 });
      const byInput = (input: string) => run.records.filter((r) => r.input === input);
      for (const input of ["full", "many"]) {
        const [first, second] = byInput(input).sort((a, b) => a.joinStartMs - b.joinStartMs);
        assert.equal(first?.outcome, "refused");
        assert.equal(first?.retryAfterS, 0);
        assert.equal(second?.outcome, "completed", second?.error ?? "");
      }
      assert.deepEqual(
        byInput("bare").map((r) => [r.outcome, r.retryAfterS]),
        [["refused", null]],
      );
      // Each user's own address on its joins and its stream.
      assert.deepEqual(
        new Set(server.seen),
        new Set(["POST 10.0.0.1", "GET 10.0.0.1", "POST 10.0.0.2", "GET 10.0.0.2", "POST 10.0.0.3"]),
      );
      const f = limitFigures([run.records], { users: 3, serviceMs: 0 });
      assert.equal(f["retriers"], 2);
      assert.equal(f["retriersServed"], 2);
      assert.equal(f["servedAtFirstRetry"], 2);
      assert.equal(f["refusalsWithoutRetryAfter"], 1);
      assert.equal(f["unsettled"], 0);
    } finally {
      server.close();
    }
  });
}
