/**
 * Claims as {@link RedisStore} sends and reads them: the claim request's ARGV tail (CLAIM_LIB in
 * redisClaimLib.ts) and a claim's reply, {poolId, fnId, jobJson, origin, jobJson, origin...}.
 */
import { randomTokens } from "../randomTokens.ts";
import type { Claim, ClaimRequest, EnqueueResult, QueuePolicy, StoredJob } from "../queue/index.ts";

/** The ARGV tail of claim requests without their lease (the engine builds one request and reuses it). */
const tails = new WeakMap<ClaimRequest, (string | number)[]>();

/**
 * A fresh lease token: a claim's member of `run:<pool>` is `<head>|<lease>`. 72 random bits (12
 * characters), so that two claims of one job (a retry) never share one. Drawn 512 at a time: a draw
 * of 9 bytes per call, two calls per prediction (admission and release), was 4% of a front's CPU.
 */
export const newLease: () => string = randomTokens(9, "base64url", 512);

/**
 * What the scripts that order waiting events need of the policy: priorityAgingMs, and "1" when
 * fairness is on (a client key's later events park behind its first).
 */
export function orderArgs(policy: QueuePolicy): (string | number)[] {
  const out: (string | number)[] = [];
  pushOrderArgs(out, policy);
  return out;
}

/** {@link orderArgs}, appended to `out` (a hot-path call's one array). */
function pushOrderArgs(out: (string | number)[], policy: QueuePolicy): void {
  out.push(policy.priorityAgingMs, policy.fairness ? "1" : "0");
}

/** A job's priority level as the keys name it ("0": the plain keys). */
export function levelOf(job: StoredJob): string {
  const p = job.priority ?? 0;
  return p === 0 ? "0" : String(p);
}

/**
 * A job's admission time on the wall clock, ms, as the scripts compare it across levels and pools:
 * the engine's clock is `performance.now()`, whose origin differs per process.
 */
export function admittedAt(job: StoredJob): string {
  return String(performance.timeOrigin + job.enqueuedAtMs);
}

/**
 * Appends to `out` the admission script's arguments on the job's place in the order: its level,
 * its client key, its admission time, fairness, maxPerClient, priorityAgingMs, and the event of the
 * key whose claim this node released while holding it (`released`, with fairness on). Appended,
 * not returned: a call's arguments go to Redis as one array, built once (see RedisLink.runArgs).
 */
export function pushAdmissionOrder(
  out: (string | number)[],
  job: StoredJob,
  key: string,
  policy: QueuePolicy,
  released: { of(key: string): string },
): void {
  const fair = policy.fairness;
  out.push(
    levelOf(job),
    key,
    admittedAt(job),
    fair ? "1" : "0",
    policy.maxPerClient ?? "",
    policy.priorityAgingMs,
    fair ? released.of(key) : "",
  );
}

/**
 * Appends to `out` the ARGV tail asking a script to claim for the caller under `lease`; "" alone
 * when `request` is absent. `quiet`: the script tells other origins nothing of their jobs' starts
 * (the caller does, see QuietStarts).
 */
export function pushClaimArgs(
  out: (string | number)[],
  request: ClaimRequest | undefined,
  lease: string,
  leaseMs: number,
  policy: QueuePolicy,
  redisNowMs: number | "",
  quiet: boolean,
): void {
  if (request === undefined) {
    out.push("");
    return;
  }
  let tail = tails.get(request);
  if (tail === undefined) {
    tail = [request.poolLimits.size];
    for (const [pool, limit] of request.poolLimits) tail.push(pool, limit === null ? "" : limit);
    tail.push(request.batchSizes.size);
    for (const [fn, size] of request.batchSizes) tail.push(fn, Math.max(1, size));
    tails.set(request, tail);
  }
  // The lease's expiry too, worked out here: the script writes the strings it is given (Lua's
  // number to string costs Redis more than the addition).
  const expiry = redisNowMs === "" ? "" : redisNowMs + leaseMs;
  out.push(lease, leaseMs, redisNowMs, expiry);
  pushOrderArgs(out, policy);
  out.push(quiet ? "1" : "");
  for (const a of tail) out.push(a);
}

/** A claim as the engine gets it, and the node each of its events was admitted through. */
export interface ParsedClaim {
  readonly claim: Claim;
  readonly origins: string[];
}

/** Where a claimed job's JSON may name a job object this node holds already (see {@link parseClaim}). */
export type KnownJobs = (json: string) => StoredJob | undefined;

/**
 * Reads a script's claim reply (false/null: nothing claimed). `known`: the job objects this node
 * holds for some JSON texts (one it admitted, or the job the call itself carried, which an
 * admission's fast path claims): such a job is taken as it is (as the memory store hands back the
 * job it was given) instead of parsed again.
 */
export function parseClaim(reply: unknown, lease: string, known?: KnownJobs): ParsedClaim | null {
  if (!Array.isArray(reply) || reply.length < 4) return null;
  const [poolId, fn, ...rest] = reply as string[];
  const jobs: StoredJob[] = [];
  const origins: string[] = [];
  for (let i = 0; i + 1 < rest.length; i += 2) {
    const json = rest[i] as string;
    jobs.push(known?.(json) ?? (JSON.parse(json) as StoredJob));
    origins.push(rest[i + 1] as string);
  }
  const head = jobs[0]?.eventId ?? "";
  return { claim: { poolId: String(poolId), fnId: Number(fn), jobs, leaseId: `${head}|${lease}` }, origins };
}

/**
 * An accepted admission as the engine gets it: its rank, its pool's size and the total; for the
 * pool's head, the running jobs' {fnId, ageMs} pairs (`flat`); and the claim it made, if any.
 */
export function admitted(
  rank: number,
  poolSize: number,
  totalSize: number,
  flat: readonly (string | number)[],
  claim: Claim | null,
): EnqueueResult {
  const running: { fnId: number; ageMs: number }[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) running.push({ fnId: Number(flat[i]), ageMs: Number(flat[i + 1]) });
  return {
    accepted: true,
    rank,
    poolSize,
    totalSize,
    ...(rank === 0 && running.length > 0 ? { running } : {}),
    ...(claim !== null ? { claim } : {}),
  };
}
