import { LegacyWsTransport } from "./LegacyWsTransport.ts";
import { SseTransport, type HttpClientKind } from "./SseTransport.ts";
import type { Transport } from "./Transport.ts";

/** The protocols a virtual user can speak: sse_v3 on keep-alive connections, or Gradio 3.x's per-event socket. */
export type LoadProtocol = "sse" | "ws3";

/** The transport of `protocol` to the server at `url` (`client`: the SSE users' HTTP client). */
export function transportFor(
  protocol: LoadProtocol,
  url: string,
  options: { readonly freshSession: boolean; readonly client?: HttpClientKind | undefined },
): Transport {
  const { freshSession, client } = options;
  return protocol === "sse"
    ? new SseTransport(url, { freshSession, ...(client === undefined ? {} : { client }) })
    : new LegacyWsTransport(url, { freshSession });
}
