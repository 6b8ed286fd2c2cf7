import { isIP } from "node:net";

/** An entry of `trustProxy`: a named range, an address, or address/prefix-length. */
export function isProxyAddress(s: string): boolean {
  if (s === "loopback" || s === "linklocal" || s === "uniquelocal") return true;
  const slash = s.indexOf("/");
  if (slash < 0) return isIP(s) !== 0;
  const family = isIP(s.slice(0, slash));
  const bits = s.slice(slash + 1);
  return family !== 0 && /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}
