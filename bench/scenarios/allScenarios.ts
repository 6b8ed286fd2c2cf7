/** Every scenario, in the order `npm run bench` runs them. */
import { batching } from "./batching.ts";
import { burst } from "./burst.ts";
import { churn } from "./churn.ts";
import { compat } from "./compat.ts";
import { connections } from "./connections.ts";
import { cpu } from "./cpu.ts";
import { eventLoop } from "./eventLoop.ts";
import { fuzzMemory } from "./fuzzMemory.ts";
import { hog } from "./hog.ts";
import { limit } from "./limit.ts";
import { onnxBatching } from "./onnxBatching.ts";
import { overhead } from "./overhead.ts";
import { redis } from "./redis.ts";
import { scaleout } from "./scaleout.ts";
import { scaling } from "./scaling.ts";
import type { Scenario } from "./Scenario.ts";
import { streaming } from "./streaming.ts";
import { unread } from "./unread.ts";

/** All scenarios, by run order. */
export const allScenarios: readonly Scenario[] = [
  compat,
  overhead,
  cpu,
  scaling,
  batching,
  burst,
  hog,
  limit,
  streaming,
  onnxBatching,
  eventLoop,
  fuzzMemory,
  churn,
  connections,
  unread,
  redis,
  scaleout,
];
