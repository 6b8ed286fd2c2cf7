/**
 * One user's session as {@link SessionHub} keeps it: the events it waits for, its reader (a sink)
 * or the outbox its messages wait in, and its grace period.
 */
import type { TimerHandle } from "../clock.ts";
import { ERROR_CODES } from "../errors.ts";
import { ERROR_TOAST_MS } from "../queue/index.ts";
import type { EngineEvent } from "../queue/index.ts";
import { Outbox } from "./Outbox.ts";
import { LARGE_MESSAGE_CHARS, roughSize, type KeptOwner } from "./ReaderBudget.ts";
import type { Sink } from "./Sink.ts";

/** One user's session: the events it waits for and where their messages go. */
export class Session implements KeptOwner {
  readonly hash: string;
  /** Accepted events whose terminal message has not been written yet. */
  readonly pending = new Set<string>();
  readonly outbox = new Outbox();
  sink: Sink | null = null;
  /** True while the sink's buffer is full; messages go to the outbox meanwhile. */
  congested = false;
  /** When the grace period running now ends (clock ms); null while none runs. */
  graceDueMs: number | null = null;
  /** Own timer of a grace period of a length other than the hub's (see {@link SessionGrace.arm}). */
  graceTimer: TimerHandle | null = null;
  /** How long this session's events may wait for a reader, ms. */
  graceMs: number;
  /** Bytes of large messages in the outbox counted in the budget (released when read or dropped). */
  keptBytes = 0;
  /** True while the outbox holds the finals of a reader that was cut off: the grace is the kept TTL. */
  keptForReturn = false;

  constructor(hash: string, graceMs: number) {
    this.hash = hash;
    this.graceMs = graceMs;
  }

  /** The budget needs the room: large outputs waiting here give way to RESULT_DROPPED. */
  evict(): number {
    this.keptBytes = 0;
    let dropped = 0;
    for (const e of this.outbox.drain()) {
      const large = (e.type === "generating" || e.type === "completed") && roughSize(e.output) >= LARGE_MESSAGE_CHARS;
      if (!large) this.outbox.push(e);
      else if (e.type === "completed") {
        this.outbox.push(resultDropped(e));
        dropped++;
      }
    }
    return dropped;
  }
}

/** What a reader gets instead of a result that did not fit in the budget. */
export function resultDropped(event: EngineEvent): EngineEvent {
  return {
    type: "failed",
    eventId: event.eventId,
    sessionHash: event.sessionHash,
    error: {
      message: ERROR_CODES.RESULT_DROPPED.message,
      title: "Error",
      durationMs: ERROR_TOAST_MS,
      visible: true,
      code: "RESULT_DROPPED",
    },
  };
}
