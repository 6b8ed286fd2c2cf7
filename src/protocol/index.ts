/**
 * The face of src/protocol/: what other folders use of it. Other folders import only this file (the
 * depcheck rule `through-the-face`); this folder's own files import their siblings directly, never
 * this file. See docs/architecture.md.
 */
export {
  PROCESS_STARTS,
  QUEUE_FULL,
  SEND_DATA,
  SEND_HASH,
  legacyError,
  legacyEstimation,
  toLegacyMessage,
  type LegacyAverages,
  type LegacyMessage,
} from "./legacyMessages.ts";
export { CLOSE_STREAM, HEARTBEAT, StreamDiffer, queueStatus, sessionNotFound, wireJson } from "./messages.ts";
export { parseClientFrame } from "./parseClientFrame.ts";
export { parseLegacyDataFrame } from "./parseLegacyFrame.ts";
export {
  PONG,
  cancelErrorFrame,
  errorFrame,
  helloFrame,
  joinErrorFrame,
  joinedFrame,
  type JoinRef,
  type WsControlFrame,
} from "./socketFrames.ts";
export { SSE_HEADERS, sseData, sseEvent } from "./sse.ts";
