import type { IncomingHttpHeaders } from "node:http";

/**
 * Why a request looks like it came from another site's page, or null when it does not: the reason,
 * to put in the 403's `detail`.
 *
 * The evidence is what browsers add and pages cannot forge: `Origin`; without it (older browsers,
 * some GET navigations) `Sec-Fetch-Site`, then `Referer`. A request with none of them (curl,
 * @gradio/client in Node, gradio_client in Python) is not a browser acting for a user, so it is
 * not foreign. An origin is this server's own when its host (and port) is the request's `Host` or
 * `X-Forwarded-Host`: pages cannot set either on a cross-origin request (a custom header needs a
 * CORS preflight, which Usher grants only to `allowedOrigins`), so trusting them here is safe even
 * from an untrusted peer. The scheme is not compared: a proxy that terminates TLS may not say so.
 */
export function foreignOrigin(headers: IncomingHttpHeaders, allowed: ReadonlySet<string>): string | null {
  const origin = headers.origin;
  if (origin !== undefined) {
    if (allowed.has(origin) || isOwn(origin, headers)) return null;
    return `Cross-origin request refused: origin ${quote(origin)} is not this server's and not in allowedOrigins.`;
  }
  const site = first(headers["sec-fetch-site"]);
  const referer = headers.referer;
  const refererOrigin = referer === undefined ? undefined : originOf(referer);
  if (site === "cross-site" || site === "same-site") {
    if (refererOrigin !== undefined && (allowed.has(refererOrigin) || isOwn(refererOrigin, headers))) return null;
    return `Cross-origin request refused: the browser says it came from another site (Sec-Fetch-Site: ${site}).`;
  }
  if (
    site === undefined &&
    refererOrigin !== undefined &&
    !allowed.has(refererOrigin) &&
    !isOwn(refererOrigin, headers)
  ) {
    return `Cross-origin request refused: referer ${quote(refererOrigin)} is not this server's and not in allowedOrigins.`;
  }
  return null;
}

/** Whether `origin`'s host and port are the ones this request was sent to. */
function isOwn(origin: string, headers: IncomingHttpHeaders): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false; // "null" (sandboxed frames, file pages) and junk are never our own
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return false;
  for (const host of [first(headers["x-forwarded-host"]), headers.host]) {
    if (host === undefined || host === "") continue;
    try {
      // Parsed with the origin's scheme, so a default port written out (`:443`) compares equal.
      if (new URL(`${url.protocol}//${host}`).host === url.host) return true;
    } catch {
      // a Host that is no host matches nothing
    }
  }
  return false;
}

/** The origin (`scheme://host[:port]`) of a URL, or undefined for junk. */
function originOf(url: string): string | undefined {
  try {
    const o = new URL(url).origin;
    return o === "null" ? undefined : o;
  } catch {
    return undefined;
  }
}

/** The first value of a header that may be repeated or comma-separated. */
function first(v: string | string[] | undefined): string | undefined {
  const s = Array.isArray(v) ? v[0] : v;
  if (s === undefined || s === "") return undefined;
  return s.split(",")[0]?.trim() || undefined;
}

/** An origin for a message: JSON-quoted and cut short, so odd bytes cannot shape the reply. */
function quote(s: string): string {
  return JSON.stringify(s.length > 200 ? `${s.slice(0, 200)}…` : s);
}
