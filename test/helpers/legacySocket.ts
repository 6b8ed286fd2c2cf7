/** Gradio 3.x per-event sockets (`/queue/join`) driven frame by frame, for the 3.x tests. */
import { TestSocket, wsUrl } from "./wsClient.ts";

/** Opens a 3.x socket and answers `send_hash`. */
export async function legacyJoin(appUrl: string, fnIndex: number, session = "s3"): Promise<TestSocket> {
  const s = new TestSocket(wsUrl(appUrl, "/queue/join"));
  await s.next((f) => f["msg"] === "send_hash");
  s.send({ fn_index: fnIndex, session_hash: session });
  return s;
}

/** Answers `send_data` with `data`. */
export async function sendData(s: TestSocket, data: unknown[], fnIndex = 0, session = "s3"): Promise<void> {
  await s.next((f) => f["msg"] === "send_data", 10_000);
  s.send({ data, event_data: null, fn_index: fnIndex, session_hash: session });
}
