/**
 * {@link HttpClient} over bare `node:net` sockets: one precomposed write per request and a
 * minimal response parser ({@link HttpResponseParser}). About half the CPU of `node:http`'s
 * client per request, which keeps the load generator from being the bottleneck on small boxes.
 * Keep-alive: a finished connection returns to this user's idle pool.
 */
import net from "node:net";
import { StringDecoder } from "node:string_decoder";
import { HttpResponseParser } from "./HttpResponseParser.ts";
import type { HttpClient, HttpRequest, ResponseHandler } from "./HttpClient.ts";

/** One socket and the exchange currently on it. */
class Connection {
  readonly socket: net.Socket;
  readonly parser: HttpResponseParser;
  handler: ResponseHandler | null = null;
  decoder: StringDecoder | null = null;
  closed = false;

  constructor(
    hostname: string,
    port: number,
    localAddress: string | undefined,
    onDone: (connection: Connection, reusable: boolean) => void,
  ) {
    this.socket = net.connect({
      host: hostname,
      port,
      noDelay: true,
      ...(localAddress === undefined ? {} : { localAddress }),
    });
    this.parser = new HttpResponseParser({
      head: (head) => this.handler?.onHead(head.status, head.retryAfter),
      body: (chunk) => {
        const text = this.decoder?.write(chunk) ?? "";
        if (text !== "") this.handler?.onData(text);
      },
      end: () => {
        const handler = this.handler;
        const rest = this.decoder?.end() ?? "";
        this.handler = null;
        this.decoder = null;
        if (rest !== "") handler?.onData(rest);
        onDone(this, !this.parser.closeAfter && !this.closed);
        handler?.onEnd();
      },
    });
    this.socket.on("data", (chunk: Buffer) => {
      try {
        this.parser.push(chunk);
      } catch (e) {
        this.#fail(e as Error);
      }
    });
    this.socket.on("end", () => {
      try {
        this.parser.eof();
      } catch (e) {
        this.#fail(e as Error);
      }
      this.socket.end();
    });
    this.socket.on("error", (e) => this.#fail(e));
    this.socket.on("close", () => {
      this.closed = true;
      if (this.handler !== null) this.#fail(new Error("connection closed"));
      onDone(this, false);
    });
  }

  send(request: HttpRequest, host: string, handler: ResponseHandler): void {
    this.handler = handler;
    this.decoder = new StringDecoder("utf8");
    this.parser.expect();
    let head = `${request.method} ${request.path} HTTP/1.1\r\nhost: ${host}\r\nconnection: keep-alive\r\n`;
    for (const [name, value] of Object.entries(request.headers ?? {})) head += `${name}: ${value}\r\n`;
    if (request.body === undefined) {
      this.socket.write(`${head}\r\n`);
    } else {
      head += `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(request.body)}\r\n\r\n`;
      this.socket.write(head + request.body);
    }
  }

  /** Drops the current exchange without calling its handler, and the socket with it. */
  abort(): void {
    this.handler = null;
    this.socket.destroy();
  }

  #fail(error: Error): void {
    const handler = this.handler;
    this.handler = null;
    this.closed = true;
    this.socket.destroy();
    handler?.onError(error);
  }
}

/** Bare-socket HTTP/1.1 client for one user. */
export class RawHttpClient implements HttpClient {
  readonly #hostname: string;
  readonly #port: number;
  readonly #host: string;
  readonly #localAddress: string | undefined;
  readonly #idle: Connection[] = [];
  readonly #all = new Set<Connection>();

  constructor(hostname: string, port: number, localAddress?: string) {
    this.#hostname = hostname;
    this.#port = port;
    this.#localAddress = localAddress;
    this.#host = `${hostname}:${port}`;
  }

  request(request: HttpRequest, handler: ResponseHandler): () => void {
    let connection = this.#idle.pop();
    while (connection !== undefined && connection.closed) connection = this.#idle.pop();
    if (connection === undefined) {
      connection = new Connection(this.#hostname, this.#port, this.#localAddress, (c, reusable) =>
        this.#done(c, reusable),
      );
      this.#all.add(connection);
    }
    const mine = connection;
    connection.send(request, this.#host, handler);
    return () => {
      if (mine.handler === handler) mine.abort();
    };
  }

  close(): void {
    for (const c of this.#all) c.socket.destroy();
    this.#all.clear();
    this.#idle.length = 0;
  }

  #done(connection: Connection, reusable: boolean): void {
    if (reusable) {
      if (!this.#idle.includes(connection)) this.#idle.push(connection);
      return;
    }
    this.#all.delete(connection);
    const at = this.#idle.indexOf(connection);
    if (at !== -1) this.#idle.splice(at, 1);
    if (!connection.closed) connection.socket.end();
  }
}
