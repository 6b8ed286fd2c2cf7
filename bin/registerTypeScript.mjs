/**
 * Loads tsx's module hooks so that the CLI can import TypeScript app files. tsx is an optional
 * peer dependency of usher-ml: an app written in JavaScript needs none, so the package does not
 * install a TypeScript loader into every project. A TypeScript app without tsx gets one clear line
 * saying what to install, instead of Node's "Unknown file extension .ts".
 */
import { relative } from "node:path";

/** Whether `file` needs a TypeScript loader (.ts, .mts, .cts, .tsx). */
export const isTypeScript = (file) => /\.[cm]?tsx?$/i.test(file);

/** Whether this process resolves Usher through its TypeScript sources (`--conditions=usher-source`). */
export const onUsherSources = () =>
  [...process.execArgv, ...(process.env.NODE_OPTIONS ?? "").split(/\s+/)].some((a) => a.includes("usher-source"));

/**
 * Registers tsx when it is installed. When it is not, fails with a message naming the fix if the
 * app `file` is TypeScript (or Usher itself runs from its sources); a JavaScript app runs without it.
 */
export async function registerTypeScript(file) {
  let api;
  try {
    api = await import("tsx/esm/api");
  } catch (err) {
    // Only tsx itself missing is the case explained here; a broken tsx install reports its own error.
    const tsxMissing = err?.code === "ERR_MODULE_NOT_FOUND" && /['"]tsx['"]/.test(String(err.message));
    if (!tsxMissing) throw err;
    if (onUsherSources()) throw new Error("running Usher from its TypeScript sources needs tsx: npm install");
    if (!isTypeScript(file)) return;
    const name = relative(process.cwd(), file) || file;
    throw new Error(
      `${name} is TypeScript, and running TypeScript needs tsx, which is not installed. ` +
        "Install it in your project: npm install tsx",
    );
  }
  api.register();
}
