/** Scenario "batching": dynamic batching reaches the function's ideal throughput and costs nothing alone. */
import { checkValue, ms, pct, pointAt, statsOf } from "./checks.ts";
import { measurePoints } from "./measurePoints.ts";
import { DURATION_MS, WARMUP_MS, type Point, type Scenario } from "./Scenario.ts";
import type { ServerSpec } from "../servers/ServerSpec.ts";

const NAME = "batching";
const TITLE = "Batching: 20 ms + 2 ms per item, maxBatchSize 16";
const BASE_MS = 20;
const PER_ITEM_MS = 2;
const MAX_BATCH = 16;
/** Items per second when every batch is full. */
const IDEAL_PER_S = (MAX_BATCH * 1000) / (BASE_MS + PER_ITEM_MS * MAX_BATCH);
/** Enough closed-loop users to keep full batches waiting (4 batches' worth). */
const SATURATED_USERS = 4 * MAX_BATCH;

const SERVER: ServerSpec = {
  fn: { kind: "batch", baseMs: BASE_MS, perItemMs: PER_ITEM_MS, maxBatchSize: MAX_BATCH },
  concurrencyCount: 1,
  maxSize: null,
};

/** A batch function under saturation (64 users) and alone (1 user). */
export const batching: Scenario = {
  name: NAME,
  title: TITLE,
  description:
    `A batch function costs ${BASE_MS} ms + ${PER_ITEM_MS} ms per item; Usher batches up to ${MAX_BATCH} with ` +
    `concurrencyCount 1; the floor calls it once per request with a one-item list, all at once. Targets: ` +
    `saturated (${SATURATED_USERS} users) throughput ≥ 95% of the ideal ${MAX_BATCH} items per ` +
    `${BASE_MS + PER_ITEM_MS * MAX_BATCH} ms (${IDEAL_PER_S.toFixed(1)}/s); with 1 user, Usher's p50 latency ` +
    "exceeds the floor's by under 1 ms.",
  async run(ctx) {
    const points: Point[] = [
      {
        label: "saturated",
        server: SERVER,
        load: { mode: "closed", users: SATURATED_USERS, warmupMs: WARMUP_MS, durationMs: DURATION_MS },
      },
      {
        label: "users=1",
        server: SERVER,
        load: { mode: "closed", users: 1, warmupMs: WARMUP_MS, durationMs: DURATION_MS },
      },
    ];
    const results = await measurePoints(ctx, NAME, points);
    const saturated = statsOf(pointAt(results, "saturated"), "usher");
    const one = pointAt(results, "users=1");
    const usherP50 = statsOf(one, "usher")?.latency?.p50Ms;
    const floorP50 = statsOf(one, "floor")?.latency?.p50Ms;
    const checks = [
      checkValue(
        "saturated throughput",
        `≥ 95% of ${IDEAL_PER_S.toFixed(1)}/s`,
        saturated === null ? null : saturated.throughputPerS / IDEAL_PER_S,
        (r) => r >= 0.95,
        (r) => `${pct(r)} (${saturated?.throughputPerS.toFixed(1)}/s)`,
      ),
      checkValue(
        "added p50 latency @1 user",
        "< 1 ms over floor",
        usherP50 === undefined || floorP50 === undefined ? null : usherP50 - floorP50,
        (d) => d < 1,
        ms,
      ),
    ];
    return { name: NAME, title: TITLE, points: results, checks };
  },
};
