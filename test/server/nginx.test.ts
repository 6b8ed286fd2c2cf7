/**
 * Usher behind Debian's nginx, configured with the README's sample ("Behind a reverse proxy"):
 * @gradio/client connects through the proxy under /demo, event streams arrive unbuffered, uploads
 * and files work, and the WebSocket upgrade passes. nginx runs as a child on a free loopback port
 * with its config, pid and temp files in a temp folder; nothing system-wide is touched.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { Client, handle_file } from "@gradio/client";
import WebSocket from "ws";
import { File, Interface } from "../../src/index.ts";
import { launch } from "../helpers/launch.ts";
import { waitFor } from "../helpers/waitFor.ts";
import { freePort } from "../helpers/redisProcess.ts";

const NGINX = ["/usr/sbin/nginx", "/usr/bin/nginx"].find((p) => spawnSync(p, ["-v"]).status === 0);
const skip = NGINX === undefined ? "nginx is not installed (.ci/run installs it: apt-get install -y nginx)" : false;

/** The README's nginx sample: the map and the server block. */
async function readmeConfig(): Promise<string> {
  const readme = await readFile(new URL("../../README.md", import.meta.url), "utf8");
  const section = readme.slice(readme.indexOf("## Behind a reverse proxy"));
  const m = /```nginx\n([\s\S]*?)```/.exec(section);
  assert.ok(m?.[1] !== undefined, "README has an nginx block under 'Behind a reverse proxy'");
  return m[1];
}

async function waitForPort(port: number): Promise<void> {
  const listens = (): Promise<boolean> =>
    new Promise<boolean>((resolve) => {
      const s = connect(port, "127.0.0.1", () => {
        s.destroy();
        resolve(true);
      });
      s.on("error", () => resolve(false));
    });
  await waitFor(listens, 5000, `nginx listening on ${port}`);
}

test("behind nginx with the README's config", { skip }, async () => {
  const demo = new Interface({
    fn: async function* (text: string) {
      for (let i = 1; i <= 3; i++) {
        await new Promise((r) => setTimeout(r, 150));
        yield text.repeat(i);
      }
    },
    inputs: "text",
    outputs: "text",
    apiName: "stream",
  });
  const size = new Interface({
    fn: (f: { path: string } | null) => f,
    inputs: new File(),
    outputs: new File(),
    apiName: "echo_file",
  });
  const app = await launch(demo, {}, { rootPath: "/demo" });
  const fileApp = await launch(size, {}, { rootPath: "/files" });
  const authApp = await launch(demo, {}, { rootPath: "/auth", auth: [["ada", "pw"]] });

  const dir = await mkdtemp(join(tmpdir(), "usher-nginx-"));
  const port = await freePort();
  const sample = await readmeConfig();
  const demoBlock = sample
    .replace("listen 80;", `listen 127.0.0.1:${port};`)
    .replace("http://127.0.0.1:7860/", `http://127.0.0.1:${app.port}/`);
  // A second location for a second app, made from the same lines.
  const loc = /( {4}location \/demo\/ \{[\s\S]*? {4}\}\n)/.exec(sample)?.[1] ?? "";
  const filesLoc = loc
    .replace("/demo/", "/files/")
    .replace("http://127.0.0.1:7860/", `http://127.0.0.1:${fileApp.port}/`);
  const authLoc = loc
    .replace("/demo/", "/auth/")
    .replace("http://127.0.0.1:7860/", `http://127.0.0.1:${authApp.port}/`);
  const server = demoBlock.replace(/\n\}\s*$/, `\n${filesLoc}${authLoc}}\n`);
  const conf = [
    "worker_processes 1;",
    "daemon off;",
    process.getuid?.() === 0 ? "user root;" : "",
    `pid ${dir}/nginx.pid;`,
    `error_log ${dir}/error.log warn;`,
    "events { worker_connections 256; }",
    "http {",
    "  access_log off;",
    ...["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((k) => `  ${k}_temp_path ${dir}/${k};`),
    server,
    "}",
  ].join("\n");
  await writeFile(join(dir, "nginx.conf"), conf);
  const nginx: ChildProcess = spawn(
    NGINX as string,
    ["-p", dir, "-c", join(dir, "nginx.conf"), "-e", join(dir, "error.log")],
    { stdio: "inherit" },
  );
  after(async () => {
    if (nginx.exitCode === null) {
      const exited = new Promise((r) => nginx.once("exit", r));
      nginx.kill("SIGQUIT");
      await exited;
    }
  });
  await waitForPort(port);
  const base = `http://127.0.0.1:${port}`;

  // config.root is the public URL, built from X-Forwarded-* and rootPath.
  const config = (await (await fetch(`${base}/demo/config`)).json()) as { root: string };
  assert.equal(config.root, `${base}/demo`);
  // The page (and its redirect from /demo).
  assert.equal((await fetch(`${base}/demo/`)).status, 200);

  // The real client through the proxy, streaming: chunks arrive as produced, not all at the end.
  const client = await Client.connect(`${base}/demo`, { events: ["data", "status"] });
  const arrivals: number[] = [];
  const t0 = performance.now();
  let last: unknown;
  for await (const ev of client.submit("/stream", ["ab"])) {
    if ((ev as { type: string }).type === "data") {
      arrivals.push(performance.now() - t0);
      last = (ev as { data: unknown }).data;
    }
  }
  assert.deepEqual(last, ["ababab"]);
  // Three chunks (the client repeats the last one with the completion).
  assert.ok(arrivals.length >= 3);
  assert.ok(
    (arrivals[2] ?? 0) - (arrivals[0] ?? 0) > 200,
    `chunks arrived together (${arrivals.map(Math.round)} ms): buffered`,
  );

  // Upload and file download through the proxy.
  const fileClient = await Client.connect(`${base}/files`);
  const res = await fileClient.predict("/echo_file", [handle_file(new Blob([Buffer.alloc(200_000, 7)]))]);
  const out = (res.data as { url: string }[])[0];
  assert.ok(out?.url.startsWith(`${base}/files/gradio_api/file=`), out?.url);
  const body = Buffer.from(await (await fetch(out?.url ?? "")).arrayBuffer());
  assert.equal(body.length, 200_000);

  // The WebSocket upgrade passes the proxy.
  const ws = new WebSocket(`ws://127.0.0.1:${port}/demo/gradio_api/queue/ws?session_hash=nginx`);
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  ws.close();

  // With auth behind the proxy: the page's own requests (Origin = the public origin, which only
  // X-Forwarded-Host names: nginx's Host drops the port) log in, join and open sockets; another
  // origin's are refused; failed logins are throttled through the proxy too.
  const page = { origin: base };
  const login = (password: string, headers: Record<string, string>) =>
    fetch(`${base}/auth/login`, { method: "POST", headers, body: new URLSearchParams({ username: "ada", password }) });
  assert.equal((await login("pw", { origin: "https://evil.example" })).status, 403);
  const ok = await login("pw", page);
  assert.equal(ok.status, 200, await ok.clone().text());
  const cookie = ok.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
  const run = await fetch(`${base}/auth/gradio_api/run/stream`, {
    method: "POST",
    headers: { ...page, cookie, "content-type": "application/json" },
    body: JSON.stringify({ data: ["x"] }),
  });
  assert.equal(run.status, 200, await run.clone().text());
  const authWs = new WebSocket(`ws://127.0.0.1:${port}/auth/gradio_api/queue/ws?session_hash=nginx`, {
    headers: { ...page, cookie },
  });
  await new Promise<void>((resolve, reject) => {
    authWs.once("open", () => resolve());
    authWs.once("error", reject);
  });
  authWs.close();
  for (let i = 0; i < 10; i++) assert.equal((await login("wrong", page)).status, 400);
  const throttled = await login("pw", page);
  assert.equal(throttled.status, 429);
  assert.ok(Number(throttled.headers.get("retry-after")) >= 1);
});
