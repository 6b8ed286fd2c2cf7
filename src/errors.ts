/**
 * Usher's one error class and its code table.
 *
 * Every error Usher raises on purpose is a {@link UsherError} with a `code` from {@link ERROR_CODES}.
 * The table gives each code its HTTP status, so the server turns any UsherError into a response
 * without a second mapping. {@link AppError} is the one subclass, for demo authors: throw it from a
 * function to show its message to that user (Gradio's `gr.Error`).
 */

/** Code → HTTP status and a default message. */
export const ERROR_CODES = {
  /** Request body is not valid JSON, or is not the expected shape. */
  BAD_REQUEST: { status: 400, message: "Bad request." },
  /** Join without a session hash. */
  SESSION_MISSING: { status: 400, message: "Session hash not found." },
  /** Input values do not fit the function's components. */
  VALIDATION: { status: 422, message: "Input validation failed." },
  /** No function with that fn_index or api name. */
  UNKNOWN_FUNCTION: { status: 404, message: "No such function." },
  /** No event with that id (cancel, call stream, ...). */
  UNKNOWN_EVENT: { status: 404, message: "Event not found." },
  /** Route or file that does not exist. */
  NOT_FOUND: { status: 404, message: "Not Found" },
  /** Direct POST to a queued function while `apiOpen` is false. */
  API_CLOSED: {
    status: 404,
    message: "This API endpoint does not accept direct HTTP POST requests. Please join the queue to use this API.",
  },
  /** A request URL longer than any route takes. */
  URI_TOO_LONG: { status: 414, message: "URL too long." },
  /** Body or upload larger than allowed. */
  PAYLOAD_TOO_LARGE: { status: 413, message: "Payload too large." },
  /** Unsupported media type for a route. */
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: "Unsupported media type." },
  /** Authentication required or failed. */
  UNAUTHORIZED: { status: 401, message: "Not authenticated" },
  /** A session (its stream, events or cancel) that belongs to another user or client. */
  SESSION_FORBIDDEN: { status: 403, message: "This session belongs to someone else." },
  /** A second stream of a session while its first is open, from a request that cannot prove it is the same client. */
  SESSION_BUSY: { status: 409, message: "This session already has an open stream." },
  /** Wrong username or password on /login. */
  BAD_CREDENTIALS: { status: 400, message: "Incorrect credentials." },
  /** Too many failed logins from this address or for this user name: wait `Retry-After` seconds. */
  TOO_MANY_LOGINS: { status: 429, message: "Too many failed logins." },
  /** A state-changing request from another site's page (not in `allowedOrigins`) while auth is on. */
  CROSS_ORIGIN: { status: 403, message: "Cross-origin request refused." },
  /** Admission refused: `maxSize` waiting events already. */
  QUEUE_FULL: { status: 503, message: "Queue is full." },
  /** Admission refused: the client key already has `maxPerClient` events waiting or running. */
  CLIENT_LIMIT: { status: 429, message: "Too many requests from this client." },
  /** Admission refused: the predicted wait is over `maxWaitMs` (`Retry-After`: when it should fit). */
  WAIT_LIMIT: { status: 503, message: "Busy: the wait is over this demo's limit." },
  /** The queue is shutting down or stopped. */
  QUEUE_STOPPED: { status: 503, message: "Queue is stopped." },
  /** The store (for example Redis) cannot be reached. */
  STORE_UNAVAILABLE: { status: 503, message: "Queue store unavailable." },
  /** The worker process running a job died (its lease expired) and the job was not retried again. */
  WORKER_LOST: { status: 500, message: "The worker running this request stopped responding." },
  /**
   * A result was not kept for its reader: the reader left it unread (or was away) while the
   * server's buffer for unread results (`maxServerBufferBytes`) was full.
   */
  RESULT_DROPPED: {
    status: 503,
    message:
      "Your result was not kept: it was not read in time and the server's buffer for unread results was full. Please try again.",
  },
  /** A reader was cut off: it left more than its connection's cap unread for too long, or the server's cap was reached. */
  SLOW_READER: { status: 408, message: "Disconnected: this client did not read its results." },
  /** A function ran past its `timeoutMs`. */
  TIMEOUT: { status: 504, message: "The function timed out." },
  /** The event was cancelled (by the user, a disconnect, or shutdown). */
  CANCELLED: { status: 499, message: "Cancelled." },
  /** A batched function returned lists of the wrong length or shape. */
  BATCH_SHAPE: { status: 500, message: "Batched function returned the wrong shape." },
  /** A function returned values that its output components cannot take. */
  OUTPUT_SHAPE: { status: 500, message: "Function returned the wrong shape." },
  /** An error shown to the user on purpose (see {@link AppError}). */
  APP_ERROR: { status: 500, message: "Error" },
  /** Any other failure of a user's function. */
  FUNCTION_ERROR: { status: 500, message: "Error" },
  /** Invalid options given to Usher by the developer (thrown at setup, never at request time). */
  INVALID_OPTIONS: { status: 500, message: "Invalid options." },
  /** Something Usher did not expect; a bug. */
  INTERNAL: { status: 500, message: "Internal error." },
} as const satisfies Record<string, { status: number; message: string }>;

/** One of the codes in {@link ERROR_CODES}. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** Fields that travel with an error to the client. */
export interface UsherErrorOptions {
  /** What goes in the JSON `detail` of an HTTP error; defaults to the message. */
  detail?: unknown;
  /** Title shown in the client's error toast. */
  title?: string;
  /** How long the client shows the error toast, in ms (null: until dismissed). */
  durationMs?: number | null;
  /** Whether the client shows the error at all. */
  visible?: boolean;
  /** Seconds for a `Retry-After` header (queue full, too many failed logins). */
  retryAfterS?: number;
  /** The error that caused this one. */
  cause?: unknown;
}

/** The error class of Usher. `code` picks the HTTP status from {@link ERROR_CODES}. */
export class UsherError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly detail: unknown;
  readonly title: string | undefined;
  readonly durationMs: number | null | undefined;
  readonly visible: boolean | undefined;
  readonly retryAfterS: number | undefined;

  constructor(code: ErrorCode, message?: string, options: UsherErrorOptions = {}) {
    const msg = message ?? ERROR_CODES[code].message;
    super(msg, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "UsherError";
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.detail = options.detail ?? msg;
    this.title = options.title;
    this.durationMs = options.durationMs;
    this.visible = options.visible;
    this.retryAfterS = options.retryAfterS;
  }
}

/**
 * Throw from a demo function to show `message` to the user who made the request (like `gr.Error`).
 * Any other error shows a generic message unless `launch({ showError: true })`.
 */
export class AppError extends UsherError {
  constructor(message: string, options: { title?: string; durationMs?: number | null; visible?: boolean } = {}) {
    super("APP_ERROR", message, {
      title: options.title ?? "Error",
      durationMs: options.durationMs === undefined ? 10_000 : options.durationMs,
      visible: options.visible ?? true,
    });
    this.name = "AppError";
  }
}

/** True for a {@link UsherError} of the given code (or of any code when omitted). */
export function isUsherError(err: unknown, code?: ErrorCode): err is UsherError {
  return err instanceof UsherError && (code === undefined || err.code === code);
}

/**
 * How one error is answered on every door: the HTTP status, `Retry-After` and JSON `detail` of
 * the HTTP routes (and of `join_error` frames and refused upgrades), and the close code and text
 * of a WebSocket refused for it. See {@link errorAnswer}.
 */
export interface ErrorAnswer {
  /** The code of the table; INTERNAL for anything that is not an UsherError. */
  readonly code: ErrorCode;
  readonly status: number;
  /** The JSON `detail`: the UsherError's detail; for an unexpected error, a text that says nothing about internals. */
  readonly detail: unknown;
  /** Seconds for a `Retry-After` header (queue full, too many failed logins). */
  readonly retryAfterS: number | undefined;
  /** `detail` as text, for a close reason or a Gradio 3.x `{ error }` message. */
  readonly text: string;
  /** WebSocket close code: 1013 (try again later) for a 503, 1011 for other 5xx, 1008 (policy) for the rest. */
  readonly closeCode: number;
  /** WebSocket close reason: `text`, or the code's own message where `text` is longer than a close frame takes. */
  readonly closeReason: string;
  /** Whether the caller should log it: an error Usher did not raise on purpose (a bug). */
  readonly unexpected: boolean;
}

/** Longest reason a WebSocket close frame carries (125 bytes of payload less the 2-byte code). */
const MAX_CLOSE_REASON_BYTES = 123;

const INTERNAL_ANSWER: ErrorAnswer = {
  code: "INTERNAL",
  status: ERROR_CODES.INTERNAL.status,
  detail: ERROR_CODES.INTERNAL.message,
  retryAfterS: undefined,
  text: ERROR_CODES.INTERNAL.message,
  closeCode: 1011,
  closeReason: ERROR_CODES.INTERNAL.message,
  unexpected: true,
};

/**
 * The one mapping from an error to its answer on the wire, used by every door (the Fastify
 * routes, the fast lane, the queue sockets, refused upgrades) so that they answer alike. Anything
 * that is not an UsherError is an internal error whose message is not shown.
 */
export function errorAnswer(err: unknown): ErrorAnswer {
  if (!(err instanceof UsherError)) return INTERNAL_ANSWER;
  const status = err.status;
  const detail = err.detail;
  const text = typeof detail === "string" ? detail : JSON.stringify(detail);
  return {
    code: err.code,
    status,
    detail,
    retryAfterS: err.retryAfterS,
    text,
    closeCode: status === 503 ? 1013 : status >= 500 ? 1011 : 1008,
    closeReason: Buffer.byteLength(text) <= MAX_CLOSE_REASON_BYTES ? text : ERROR_CODES[err.code].message,
    unexpected: false,
  };
}
