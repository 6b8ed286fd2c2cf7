/**
 * The tiny HTTP/1.1 surface the SSE transport needs, so that the same protocol logic runs over
 * `node:http` ({@link NodeHttpClient}) or over bare sockets ({@link RawHttpClient}, cheaper, the
 * default: the generator must not be the bottleneck). One client belongs to one virtual user and
 * keeps its connections alive between requests, as a browser tab would.
 */

/** A request to send. */
export interface HttpRequest {
  readonly method: "GET" | "POST";
  /** Path and query, e.g. "/gradio_api/queue/data?session_hash=abc". */
  readonly path: string;
  /** Extra headers (Host, Content-Length and Connection are added by the client). */
  readonly headers?: Readonly<Record<string, string>>;
  /** A JSON body; sent with `content-type: application/json`. */
  readonly body?: string;
}

/** Receives one response. After `onEnd` or `onError` nothing else is called. */
export interface ResponseHandler {
  /** `retryAfter`: the `Retry-After` header's value, null without one. */
  onHead(status: number, retryAfter: string | null): void;
  /** Body text as it arrives (UTF-8, never split inside a character). */
  onData(text: string): void;
  onEnd(): void;
  onError(error: Error): void;
}

/** One user's HTTP client. */
export interface HttpClient {
  /** Sends `request`; returns a function that aborts it (no handler call follows an abort). */
  request(request: HttpRequest, handler: ResponseHandler): () => void;
  /** Closes every connection. */
  close(): void;
}

/** Makes one {@link HttpClient} per virtual user for a server. */
/** Makes one user's client; `localAddress`: the source address its connections bind to. */
export type HttpClientFactory = (hostname: string, port: number, localAddress?: string) => HttpClient;
