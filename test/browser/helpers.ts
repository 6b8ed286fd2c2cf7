/** Small helpers shared by the browser tests. */
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { after } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { Page } from "playwright-core";

/** Retries `check` until it stops throwing, or rethrows its last error after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > end) throw err;
      await sleep(50);
    }
  }
}

/** The value of the text field labelled `label`. */
export function valueOf(page: Page, label: string): Promise<string> {
  return page.getByLabel(label, { exact: true }).inputValue();
}

/**
 * Starts an event through the `/call` API and reads its result stream in the background (so the
 * server keeps it), e.g. to fill the queue ahead of the page. Resolves with the stream's text.
 */
export async function callInBackground(
  appUrl: string,
  apiName: string,
  data: unknown[],
): Promise<{ done: Promise<string> }> {
  const res = await fetch(`${appUrl}/gradio_api/call/${apiName}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ data }),
  });
  const { event_id } = (await res.json()) as { event_id: string };
  return { done: fetch(`${appUrl}/gradio_api/call/${apiName}/${event_id}`).then((r) => r.text()) };
}

/** A 2×2 PNG (red, green, blue, white), for uploads. */
export const TINY_PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFElEQVR4nGP4z8DAAMIM/////w8AH+4F+7C4l8kAAAAASUVORK5CYII=",
  "base64",
);

/** A reverse proxy in front of an app (see {@link startProxy}). */
export interface TestProxy {
  /** The proxied app's URL, prefix included, e.g. "http://127.0.0.1:4321/demo". */
  readonly url: string;
  /** Cuts every tunnelled WebSocket, as a flaky network would. */
  dropSockets(): void;
}

/**
 * A reverse proxy that forwards `{prefix}/*` to the app's `/*`, keeping the Host header (so the
 * app's `config.root` is the proxy's URL). It tunnels WebSocket upgrades unless `websockets` is
 * false, when it refuses them (502) as some proxies do. Closed when the test file ends.
 */
export async function startProxy(
  appPort: number,
  prefix: string,
  options: { websockets: boolean },
): Promise<TestProxy> {
  const tunnels = new Set<Duplex>();
  const upstreamPath = (url: string): string | null => {
    if (prefix !== "" && url !== prefix && !url.startsWith(`${prefix}/`) && !url.startsWith(`${prefix}?`)) return null;
    const path = url.slice(prefix.length) || "/";
    return path.startsWith("/") ? path : `/${path}`;
  };
  const server = http.createServer((req, res) => {
    const path = upstreamPath(req.url ?? "/");
    if (path === null) {
      res.writeHead(404).end();
      return;
    }
    const upstream = http.request(
      { host: "127.0.0.1", port: appPort, path, method: req.method, headers: req.headers },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  server.on("upgrade", (req, socket: Duplex, head: Buffer) => {
    const path = upstreamPath(req.url ?? "/");
    if (!options.websockets || path === null) {
      socket.end("HTTP/1.1 502 Bad Gateway\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
      return;
    }
    // Tunnel the upgrade: replay the request line and headers, then pipe both ways.
    const up = net.connect(appPort, "127.0.0.1", () => {
      const headers = Object.entries(req.headers).map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(", ") : v}`);
      up.write(`${req.method} ${path} HTTP/1.1\r\n${headers.join("\r\n")}\r\n\r\n`);
      up.write(head);
      socket.pipe(up).pipe(socket);
    });
    tunnels.add(socket);
    const drop = () => {
      tunnels.delete(socket);
      socket.destroy();
      up.destroy();
    };
    up.on("error", drop).on("close", drop);
    socket.on("error", drop).on("close", drop);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  after(() => {
    server.closeAllConnections();
    server.close();
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${prefix}`,
    dropSockets() {
      for (const s of tunnels) s.destroy();
    },
  };
}
