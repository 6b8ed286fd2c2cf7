/**
 * What the protocol translates into wire messages: updates about one queued event, in the
 * engine's units (milliseconds, camelCase). protocol/ imports nothing of the engine, so it states
 * here the shape it reads; the engine's `EngineEvent` (src/queue/types.ts) is passed in as it is,
 * and the compiler checks at every call (`toWireMessage`, `wireJson`, `toLegacyMessage`) that it
 * still fits. A new kind of engine event that this union lacks fails those calls to compile.
 */

/** One unit of a progress bar (Gradio's ProgressUnit), as `progress_data` carries it. */
export interface ProgressUnit {
  /** Step reached, for `(i, n)` style progress; null for a fraction. */
  readonly index: number | null;
  /** Total steps, for `(i, n)` style progress. */
  readonly length: number | null;
  /** Unit label, e.g. "steps". */
  readonly unit: string | null;
  /** Fraction 0..1, for float style progress; null for `(i, n)`. */
  readonly progress: number | null;
  /** Description shown beside the bar. */
  readonly desc: string | null;
}

/** How a failure is shown to the user (the wire's `output.error` and friends). */
export interface UpdateError {
  /** Message to show, or null for the client's generic "An error occurred". */
  readonly message: string | null;
  readonly title: string;
  readonly durationMs: number | null;
  readonly visible: boolean;
  /** The error code behind it (TIMEOUT, APP_ERROR, ...); the wire writes it lower-cased. */
  readonly code: string;
}

/** Why an event was cancelled; the wire's text depends on it. */
export type UpdateCancelReason = "user" | "disconnect" | "shutdown";

/** An update about one event, as the protocol reads it. */
export type EventUpdate =
  | {
      readonly type: "estimation";
      readonly eventId: string;
      readonly rank: number;
      readonly queueSize: number;
      readonly rankEtaMs: number | null;
    }
  | { readonly type: "started"; readonly eventId: string; readonly etaMs: number | null }
  | { readonly type: "progress"; readonly eventId: string; readonly progress: readonly ProgressUnit[] }
  | {
      readonly type: "log";
      readonly eventId: string;
      readonly level: string;
      readonly message: string;
      readonly title: string;
      readonly durationMs: number | null;
      readonly visible: boolean;
    }
  | (OutputUpdate & { readonly type: "generating" })
  | (OutputUpdate & { readonly type: "completed" })
  | { readonly type: "failed"; readonly eventId: string; readonly error: UpdateError }
  | { readonly type: "cancelled"; readonly eventId: string; readonly reason: UpdateCancelReason };

/** A generator chunk or a final result: full output values (diffing is the transport's business). */
interface OutputUpdate {
  readonly eventId: string;
  readonly output: unknown;
  readonly durationMs: number;
  readonly averageDurationMs: number | null;
}
