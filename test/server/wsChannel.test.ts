/**
 * WsChannel's hold on the raw socket under `ws`: once `ws` has ended our side (the close handshake
 * is done), the socket is destroyed, so that `ws` does not end it and its frame reader again at the
 * peer's FIN (each such end makes Node build an error with a full stack trace).
 */
import assert from "node:assert/strict";
import { EventEmitter, once } from "node:events";
import { PassThrough } from "node:stream";
import { test } from "node:test";
import type { WebSocket } from "ws";
import { WsChannel } from "../../src/server/ws/WsChannel.ts";

test("destroys the raw socket once our side of it has finished, not before", async () => {
  // As a net.Socket whose peer has not ended: finishing our side does not destroy it.
  const raw = new PassThrough({ autoDestroy: false });
  new WsChannel(new EventEmitter() as unknown as WebSocket, null, raw);
  raw.write("close frame");
  assert.equal(raw.destroyed, false, "open while frames are written");
  raw.resume();
  raw.end();
  await once(raw, "finish");
  await new Promise<void>((resolve) => setImmediate(resolve));
  assert.equal(raw.destroyed, true);
});
