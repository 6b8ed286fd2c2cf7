/** Scenario "streaming": many generators at once cost no more than raw SSE. */
import { median, percentile } from "../report/summarize.ts";
import { checkValue, pointAt, ratio, statsOf, times } from "./checks.ts";
import { measurePoints } from "./measurePoints.ts";
import type { Point, PointObservations, Scenario } from "./Scenario.ts";

const NAME = "streaming";
const TITLE = "Streaming: 250 clients × 100 tokens, 10 ms apart";
const CLIENTS = 250;
const TOKENS = 100;
const INTERVAL_MS = 10;

function streamingFigures({ records, roundsMs }: PointObservations): Record<string, number | null> {
  const firstChunkMs = records
    .filter((r) => r.firstChunkMs !== null)
    .map((r) => (r.firstChunkMs as number) - r.joinStartMs)
    .sort((a, b) => a - b);
  const completed = records.filter((r) => r.outcome === "completed");
  return {
    totalMs: roundsMs.length === 0 ? null : median(roundsMs),
    totalMinMs: roundsMs.length === 0 ? null : Math.min(...roundsMs),
    totalMaxMs: roundsMs.length === 0 ? null : Math.max(...roundsMs),
    firstChunkP50Ms: firstChunkMs.length === 0 ? null : percentile(firstChunkMs, 50),
    minChunks: completed.length === 0 ? null : Math.min(...completed.map((r) => r.chunks)),
  };
}

/** 250 clients start together; each streams 100 tokens; total time of the wave, median of 3 waves. */
export const streaming: Scenario = {
  name: NAME,
  title: TITLE,
  description:
    `${CLIENTS} clients start at once; each runs an async generator that yields ${TOKENS} times, ${INTERVAL_MS} ms ` +
    `apart (concurrencyCount ${CLIENTS}). Total time = first join to last result, median of 3 waves after a ` +
    "warm-up wave. Target: total time ≤ 1.2× the floor's, every stream complete.",
  async run(ctx) {
    const points: Point[] = [
      {
        label: `clients=${CLIENTS}`,
        server: {
          fn: { kind: "stream", tokens: TOKENS, intervalMs: INTERVAL_MS },
          concurrencyCount: CLIENTS,
          maxSize: null,
        },
        load: { mode: "open", users: CLIENTS, spreadMs: 0, timeoutMs: 15_000, warmupRounds: 1, rounds: 3 },
        extra: streamingFigures,
      },
    ];
    const results = await measurePoints(ctx, NAME, points);
    const p = pointAt(results, `clients=${CLIENTS}`);
    const usher = statsOf(p, "usher");
    const floor = statsOf(p, "floor");
    const checks = [
      checkValue(
        "total time",
        "≤ 1.2× floor",
        ratio(usher?.extra["totalMs"], floor?.extra["totalMs"]),
        (r) => r <= 1.2,
        times,
      ),
      checkValue(
        "streams not completed",
        "0",
        usher === null ? null : usher.requests - usher.completed,
        (n) => n === 0,
        (n) => `${n} of ${usher?.requests}`,
      ),
    ];
    return { name: NAME, title: TITLE, points: results, checks };
  },
};
