/** Result of a JSON POST: the status and the parsed body (or the raw text when it is not JSON). */
export interface JsonResponse {
  readonly status: number;
  readonly body: unknown;
  /** The `Retry-After` of a refusal, in seconds (a full or busy queue, a client over its limit); else null. */
  readonly retryAfterS: number | null;
}

/** POSTs `body` as JSON. A network failure resolves with status 0 so that callers have one path. */
export async function postJson(url: string, body: unknown): Promise<JsonResponse> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      credentials: "same-origin",
    });
  } catch (err) {
    return { status: 0, body: { detail: err instanceof Error ? err.message : String(err) }, retryAfterS: null };
  }
  const text = await res.text();
  const retryAfterS = retryAfterOf(res.headers.get("retry-after"));
  try {
    return { status: res.status, body: JSON.parse(text) as unknown, retryAfterS };
  } catch {
    return { status: res.status, body: text, retryAfterS };
  }
}

/** Seconds of a `Retry-After` header (the server sends whole seconds, never a date), else null. */
function retryAfterOf(header: string | null): number | null {
  if (header === null || !/^\d+$/.test(header.trim())) return null;
  return Number(header.trim());
}

/** The `detail` (or `error`) of an error body, else the body itself. */
export function errorDetail(body: unknown): unknown {
  if (typeof body === "object" && body !== null) {
    const b = body as Record<string, unknown>;
    if ("detail" in b) return b["detail"];
    if ("error" in b) return b["error"];
  }
  return body;
}
