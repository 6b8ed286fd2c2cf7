/** {@link HttpClient} over `node:http` with a keep-alive Agent of its own. */
import http from "node:http";
import type { HttpClient, HttpRequest, ResponseHandler } from "./HttpClient.ts";

/** `node:http` client for one user: keep-alive, up to 6 sockets like a browser. */
export class NodeHttpClient implements HttpClient {
  readonly #agent = new http.Agent({ keepAlive: true, maxSockets: 6 });
  readonly #hostname: string;
  readonly #port: number;
  readonly #localAddress: string | undefined;

  constructor(hostname: string, port: number, localAddress?: string) {
    this.#hostname = hostname;
    this.#port = port;
    this.#localAddress = localAddress;
  }

  request(request: HttpRequest, handler: ResponseHandler): () => void {
    let done = false;
    const end = (error?: Error): void => {
      if (done) return;
      done = true;
      if (error === undefined) handler.onEnd();
      else handler.onError(error);
    };
    const headers: Record<string, string | number> = { ...request.headers };
    if (request.body !== undefined) {
      headers["content-type"] = "application/json";
      headers["content-length"] = Buffer.byteLength(request.body);
    }
    const req = http.request(
      {
        agent: this.#agent,
        hostname: this.#hostname,
        port: this.#port,
        ...(this.#localAddress === undefined ? {} : { localAddress: this.#localAddress }),
        method: request.method,
        path: request.path,
        headers,
      },
      (res) => {
        if (done) return;
        const retryAfter = res.headers["retry-after"];
        handler.onHead(res.statusCode ?? 0, retryAfter ?? null);
        res.setEncoding("utf8");
        res.on("data", (text: string) => {
          if (!done) handler.onData(text);
        });
        res.on("end", () => end());
        res.on("error", (e) => end(e));
        res.on("aborted", () => end(new Error("response aborted")));
      },
    );
    req.on("error", (e) => end(e));
    req.end(request.body);
    return () => {
      done = true;
      req.destroy();
    };
  }

  close(): void {
    this.#agent.destroy();
  }
}
