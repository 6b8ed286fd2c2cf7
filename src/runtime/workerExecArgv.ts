/**
 * The Node flags of the pool's worker threads. Workers inherit the main thread's flags (so
 * `--conditions=usher-source` and tsx's `--import` carry over when the app runs through tsx). When
 * Usher runs from its TypeScript source, the worker entry itself is TypeScript and needs tsx's
 * require hook, which `--import tsx` installs in each thread: it is added when missing. (TypeScript
 * worker *modules* are handled inside the thread, see workerEntry.ts: on Node 20 `--import tsx`
 * does not give a worker tsx's ESM hooks.)
 */
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

/**
 * Flags for the pool's workers, or undefined to inherit `process.execArgv` as they are.
 * @param needsTsx the worker entry itself is TypeScript: fail now, with a clear message, if tsx is missing.
 */
export function workerExecArgv(
  needsTsx: boolean,
  execArgv: readonly string[] = process.execArgv,
): string[] | undefined {
  if (!needsTsx) return undefined;
  if (execArgv.some((a) => /(^|[/\\@])tsx([/\\@]|$)/.test(a))) return undefined;
  const tsx = resolveTsx();
  if (tsx === null)
    throw new Error(
      "Usher runs from its TypeScript source, and its worker threads need tsx to load it: npm install tsx.",
    );
  return [...execArgv, "--import", tsx];
}

/** tsx's loader as a file URL (resolved from Usher, not from the current directory), or null. */
function resolveTsx(): string | null {
  try {
    return pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
  } catch {
    return null;
  }
}
