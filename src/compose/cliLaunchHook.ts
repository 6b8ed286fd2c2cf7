/**
 * How the `usher` CLI (bin/) steers an app file that calls `launch()` itself: before importing
 * the file the CLI puts a hook on `globalThis` under a registry symbol (so it works whichever copy
 * of Usher, source or dist, the file imports). `launchApp` then lets the command line's options
 * win over the file's and records the launch, so that the CLI does not launch the app twice.
 */
import type { LaunchOptions } from "../options.ts";

/** What the CLI hands to `launchApp`. */
export interface CliLaunchHook {
  /** Options given on the command line (`--port`, `--host`); they override the file's. */
  readonly overrides: LaunchOptions;
  /** Every launch the app file started, in order (pushed before the server listens). */
  readonly launches: Promise<unknown>[];
  /** Under `usher --reload`: the server tells the page when it has been replaced (see devReloadRoute.ts). */
  readonly reload?: boolean;
}

/** The registry key the CLI sets (`Symbol.for`, shared across module copies). */
export const CLI_LAUNCH_HOOK = Symbol.for("usher.cliLaunchHook");

/** The hook when running under the CLI, else undefined. */
export function cliLaunchHook(): CliLaunchHook | undefined {
  return (globalThis as { [CLI_LAUNCH_HOOK]?: CliLaunchHook })[CLI_LAUNCH_HOOK];
}
