import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isUsherError } from "../../src/errors.ts";
import { resolveQueueOptions } from "../../src/options.ts";
import type { QueueRequest } from "../../src/queue/types.ts";

describe("queue() fair-queue options", () => {
  it("defaults to fair share, no priority, 30 s aging and no per-client or wait limit", () => {
    const q = resolveQueueOptions({});
    assert.equal(q.fairness, true);
    assert.equal(q.clientKey, null);
    assert.equal(q.priority, null);
    assert.equal(q.priorityAgingMs, 30_000);
    assert.equal(q.maxPerClient, null);
    assert.equal(q.maxWaitMs, null);
  });

  it("keeps the app's own callbacks and values", () => {
    const clientKey = (r: QueueRequest): string => r.address;
    const priority = (r: QueueRequest): number => (r.user === null ? 0 : 1);
    const q = resolveQueueOptions({
      fairness: false,
      clientKey,
      priority,
      priorityAgingMs: 5000,
      maxPerClient: 3,
      maxWaitMs: 10_000,
    });
    assert.equal(q.fairness, false);
    assert.equal(q.clientKey, clientKey);
    assert.equal(q.priority, priority);
    assert.equal(q.priorityAgingMs, 5000);
    assert.equal(q.maxPerClient, 3);
    assert.equal(q.maxWaitMs, 10_000);
  });

  for (const [name, bad] of [
    ["maxPerClient 0", { maxPerClient: 0 }],
    ["maxPerClient 1.5", { maxPerClient: 1.5 }],
    ["maxWaitMs -1", { maxWaitMs: -1 }],
    ["priorityAgingMs as a string", { priorityAgingMs: "30s" }],
    ["clientKey not a function", { clientKey: "ip" }],
    ["priority not a function", { priority: 1 }],
    ["fairness not a boolean", { fairness: "yes" }],
  ] as const) {
    it(`refuses ${name} with INVALID_OPTIONS naming the field`, () => {
      const field = Object.keys(bad)[0] ?? "";
      assert.throws(
        () => resolveQueueOptions(bad as never),
        (e) => isUsherError(e, "INVALID_OPTIONS") && e.message.includes(field),
      );
    });
  }
});
