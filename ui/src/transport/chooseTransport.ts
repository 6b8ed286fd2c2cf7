import type { AppConfig } from "../config/AppConfig.ts";
import type { Endpoints } from "../config/Endpoints.ts";
import { SseTransport } from "./SseTransport.ts";
import type { Transport } from "./Transport.ts";
import { WsTransport } from "./WsTransport.ts";

/** Default path of Usher's multiplexed queue socket. */
export const QUEUE_WS_PATH = "/gradio_api/queue/ws";

/**
 * The tab's queue transport. `?transport=ws` or `?transport=sse` in the page URL forces one (for
 * tests and debugging); otherwise the WebSocket when the config advertises it (`queue_ws`), falling
 * back to Gradio's SSE if no socket can open; else SSE.
 */
export function chooseTransport(
  config: AppConfig,
  search: string,
  endpoints: Endpoints,
  sessionHash: string,
): Transport {
  const forced = new URLSearchParams(search).get("transport");
  const advertised = typeof config.queue_ws === "string" && config.queue_ws !== "" ? config.queue_ws : null;
  const useWs = forced === "ws" || forced === "websocket" || (forced !== "sse" && advertised !== null);
  if (useWs) {
    const url = endpoints.websocket(advertised ?? QUEUE_WS_PATH, { session_hash: sessionHash });
    // Some proxies refuse WebSocket upgrades: then SSE, unless the page asked for WS explicitly.
    return new WsTransport(url, forced === null ? () => new SseTransport(endpoints, sessionHash) : null);
  }
  return new SseTransport(endpoints, sessionHash);
}
