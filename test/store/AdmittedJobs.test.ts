import assert from "node:assert/strict";
import { test } from "node:test";
import type { StoredJob } from "../../src/queue/index.ts";
import { AdmittedJobs } from "../../src/store/AdmittedJobs.ts";

function job(eventId: string, data: unknown[] = ["x"]): StoredJob {
  return { eventId, sessionHash: "S", fnId: 0, poolId: "default", data, rootUrl: "", meta: {}, enqueuedAtMs: 1.5 };
}

test("a claimed job that this node admitted is the very object it sent, once", () => {
  const jobs = new AdmittedJobs();
  const a = job("a");
  const json = JSON.stringify(a);
  jobs.add(a, json);
  assert.equal(jobs.take(json), a);
  assert.equal(jobs.take(json), undefined, "taken: a second claim of the same text is parsed");
  assert.equal(jobs.size, 0);
});

test("only the same text is taken: another node's job, or other JSON for the same event, is parsed", () => {
  const jobs = new AdmittedJobs();
  const a = job("a");
  jobs.add(a, JSON.stringify(a));
  assert.equal(jobs.take(JSON.stringify(job("a", ["y"]))), undefined);
  assert.equal(jobs.take(JSON.stringify(job("b"))), undefined);
  assert.equal(jobs.take('{"sessionHash":"S","eventId":"a"}'), undefined);
  assert.equal(jobs.take("not json"), undefined);
  assert.equal(jobs.size, 1);
});

test("a job that left elsewhere or was removed is forgotten; JSON of another shape is not kept", () => {
  const jobs = new AdmittedJobs();
  const a = job("a");
  const json = JSON.stringify(a);
  jobs.add(a, json);
  jobs.forget("a");
  assert.equal(jobs.take(json), undefined);
  const { eventId, ...rest } = a;
  jobs.add(a, JSON.stringify({ ...rest, eventId }));
  assert.equal(jobs.size, 0, "its event id not first: a claim could not find it by its text");
});

test("beyond the bound the oldest jobs go first, and a job larger than the bound is not kept", () => {
  const a = job("a");
  const b = job("b");
  const c = job("c");
  const each = JSON.stringify(a).length;
  const jobs = new AdmittedJobs(each * 2);
  jobs.add(a, JSON.stringify(a));
  jobs.add(b, JSON.stringify(b));
  jobs.add(c, JSON.stringify(c));
  assert.equal(jobs.size, 2);
  assert.equal(jobs.take(JSON.stringify(a)), undefined);
  assert.equal(jobs.take(JSON.stringify(c)), c);
  jobs.add(job("big", ["x".repeat(each * 3)]), JSON.stringify(job("big", ["x".repeat(each * 3)])));
  assert.equal(jobs.size, 1);
});
