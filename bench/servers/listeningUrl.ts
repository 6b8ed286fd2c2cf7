import type { ChildProcess } from "node:child_process";

/**
 * The URL a server child prints as `LISTENING <url>` on its stdout, once it does; rejects with the
 * end of its stderr if it exits first or says nothing within `timeoutMs`. `name` names it in errors.
 */
export function listeningUrl(child: ChildProcess, name: string, timeoutMs = 30_000): Promise<string> {
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (c: string) => (stderr = (stderr + c).slice(-4000)));
  return new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout?.setEncoding("utf8").on("data", (c: string) => {
      out += c;
      const m = /LISTENING (\S+)/.exec(out);
      if (m?.[1] !== undefined) resolve(m[1]);
    });
    child.once("exit", (code) => reject(new Error(`${name} exited with ${code}: ${stderr}`)));
    setTimeout(() => reject(new Error(`${name} did not start: ${stderr}`)), timeoutMs).unref();
  });
}
