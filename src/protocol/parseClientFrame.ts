import type { JoinRef, WsClientFrame } from "./socketFrames.ts";

/** A frame that does not fit: what to tell the client (and the join's ref, when it had one). */
export interface FrameProblem {
  readonly problem: string;
  /** Set for a join frame: the answer is a `join_error` with this ref. */
  readonly joinRef?: JoinRef;
}

/** Longest client ref accepted, characters. */
const MAX_REF = 128;

/**
 * The one place where a client frame of the multiplexed queue socket is read: checks a parsed
 * JSON value against {@link WsClientFrame}: `{"type":"join","ref":…,"fn_index":N,"data":[…]}`,
 * `{"type":"cancel","event_id":"…"}` or `{"type":"ping"}`. The join's ref may also be called
 * `id` (the page's first client sent that); it is echoed back as `ref` either way.
 */
export function parseClientFrame(value: unknown): WsClientFrame | FrameProblem {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { problem: "A frame must be a JSON object with a `type`." };
  }
  const f = value as Record<string, unknown>;
  switch (f["type"]) {
    case "join": {
      const rawRef = f["ref"] ?? f["id"] ?? null;
      const ref: JoinRef =
        (typeof rawRef === "string" && rawRef.length <= MAX_REF) ||
        (typeof rawRef === "number" && Number.isFinite(rawRef))
          ? rawRef
          : null;
      if (rawRef !== null && ref === null) {
        return { problem: `\`ref\` must be a string of at most ${MAX_REF} characters or a number.`, joinRef: null };
      }
      const fnIndex = f["fn_index"];
      if (fnIndex !== undefined && fnIndex !== null && !(Number.isSafeInteger(fnIndex) && (fnIndex as number) >= 0)) {
        return { problem: "`fn_index` must be a non-negative integer.", joinRef: ref };
      }
      if (!Array.isArray(f["data"])) return { problem: "`data` must be a list of input values.", joinRef: ref };
      return { type: "join", ref, fn_index: (fnIndex ?? undefined) as number | undefined, data: f["data"] };
    }
    case "cancel": {
      const eventId = f["event_id"];
      if (typeof eventId !== "string" || eventId === "" || eventId.length > MAX_REF) {
        return { problem: "`event_id` must be the id of one of this socket's events." };
      }
      return { type: "cancel", event_id: eventId };
    }
    case "ping":
      return { type: "ping" };
    default:
      return { problem: 'Unknown frame `type`: expected "join", "cancel" or "ping".' };
  }
}
