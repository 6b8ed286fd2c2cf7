import type { IncomingHttpHeaders } from "node:http";

/**
 * The public base URL a request came through: scheme and host from `X-Forwarded-Proto` /
 * `X-Forwarded-Host` when a proxy set them, else from the connection and `Host`; then `rootPath`.
 * Clients send every later request to this URL (`config.root`), so it must be one they can reach.
 */
export function requestRoot(headers: IncomingHttpHeaders, encrypted: boolean, rootPath: string): string {
  const proto = first(headers["x-forwarded-proto"]) ?? (encrypted ? "https" : "http");
  const host = first(headers["x-forwarded-host"]) ?? headers.host ?? "localhost";
  const scheme = proto === "https" || proto === "wss" ? "https" : "http";
  // A Host header is not to be trusted blindly: keep only characters a host[:port] can have.
  const safeHost = /^[A-Za-z0-9.\-:[\]]+$/.test(host) ? host : "localhost";
  return `${scheme}://${safeHost}${rootPath}`;
}

function first(v: string | string[] | undefined): string | undefined {
  const s = Array.isArray(v) ? v[0] : v;
  if (s === undefined || s === "") return undefined;
  return s.split(",")[0]?.trim() || undefined;
}
