import type { IncomingMessage } from "node:http";
import proxyAddr from "@fastify/proxy-addr";

/**
 * The client address of a raw request, as Fastify's `request.ip` gives it: the peer, or through a
 * trusted proxy (`launch({ trustProxy })`) the right-most `X-Forwarded-For` entry that is not
 * itself trusted. Doors outside Fastify's routing (the fast lane, WebSocket upgrades) use it so
 * that every door sees the same address for one client.
 */
export function clientAddressOf(
  trustProxy: false | readonly string[],
): (req: Pick<IncomingMessage, "headers" | "socket">) => string | undefined {
  if (trustProxy === false) return (req) => req.socket.remoteAddress;
  const trust = proxyAddr.compile([...trustProxy]);
  return (req) => {
    const peer = req.socket.remoteAddress;
    // Most requests carry no X-Forwarded-For: skip the parse on the hot path.
    if (peer === undefined || req.headers["x-forwarded-for"] === undefined) return peer;
    return proxyAddr(req as IncomingMessage, trust);
  };
}
