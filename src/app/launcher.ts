/**
 * How `demo.launch()` reaches the server without the app model importing it: the composition root
 * (src/compose/launchApp.ts) is registered here by the package's root module (src/index.ts), so
 * importing the app model alone loads no Fastify, ws, piscina or Redis, and the layers point one way.
 */
import { UsherError } from "../errors.ts";
import type { LaunchOptions, QueueOptions } from "../options.ts";
import type { RunningApp } from "./RunningApp.ts";
import type { Buildable } from "./ServedApp.ts";

/** Serves `app`; `queue` is null when `.queue()` was never called. */
export type Launcher = (app: Buildable, queue: QueueOptions | null, options: LaunchOptions) => Promise<RunningApp>;

let registered: Launcher | null = null;

/** Sets what `launch()` calls (src/index.ts does, once). */
export function setLauncher(launcher: Launcher): void {
  registered = launcher;
}

/** The registered launcher; INTERNAL when the app model was imported without the package's root. */
export function launcher(): Launcher {
  if (registered === null) {
    throw new UsherError(
      "INTERNAL",
      'launch() needs the package\'s root module: import from "usher-ml" (src/index.ts).',
    );
  }
  return registered;
}
