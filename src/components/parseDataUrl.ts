/** A decoded `data:` URL. */
export interface DataUrl {
  readonly mimeType: string;
  readonly data: Buffer;
}

const DATA_URL = /^data:([^;,]*)((?:;[^;,]*)*?)(;base64)?,/i;

/** Decodes a `data:[mime][;base64],...` URL, or returns null when `value` is not one. */
export function parseDataUrl(value: string): DataUrl | null {
  const m = DATA_URL.exec(value.slice(0, 256));
  if (m === null) return null;
  const body = value.slice(m[0].length);
  const data = m[3] !== undefined ? Buffer.from(body, "base64") : Buffer.from(decodeURIComponent(body), "utf8");
  return { mimeType: (m[1] || "text/plain").toLowerCase(), data };
}
