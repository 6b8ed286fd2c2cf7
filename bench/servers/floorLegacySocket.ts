/**
 * The floor's Gradio 3.x queue socket at `/queue/join`: the least a server must do to speak it.
 * `ws` in noServer mode (as Usher's), no compression; `send_hash` → hash frame → `send_data` →
 * data frame → `process_starts` → (`process_generating` full values) → `process_completed` →
 * close 1000. No queue (the function runs as the inputs arrive), no estimation, no sessions.
 */
import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type RawData, type WebSocket } from "ws";
import type { ScenarioFunction } from "./scenarioFunctions.ts";

const SEND_HASH = JSON.stringify({ msg: "send_hash" });
const SEND_DATA = JSON.stringify({ msg: "send_data" });
const PROCESS_STARTS = JSON.stringify({ msg: "process_starts" });

/** Serves 3.x sockets on `server`'s upgrades to `/queue/join`; any other upgrade is dropped. */
export function attachFloorLegacySocket(server: Server, fn: ScenarioFunction): void {
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, clientTracking: false });
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (req.url !== "/queue/join") {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => serve(ws, fn));
  });
}

function serve(ws: WebSocket, fn: ScenarioFunction): void {
  let hashed = false;
  ws.on("error", () => undefined);
  ws.on("message", (data: RawData) => {
    let frame: { data?: unknown };
    try {
      frame = JSON.parse(String(data)) as typeof frame;
    } catch {
      ws.close(1003, "bad frame");
      return;
    }
    if (!hashed) {
      hashed = true;
      ws.send(SEND_DATA);
      return;
    }
    const input = Array.isArray(frame.data) ? String(frame.data[0]) : "";
    ws.send(PROCESS_STARTS);
    void run(ws, fn, input);
  });
  ws.send(SEND_HASH);
}

async function run(ws: WebSocket, fn: ScenarioFunction, input: string): Promise<void> {
  const startMs = performance.now();
  let value: unknown;
  try {
    if (fn.kind === "single") value = await fn.fn(input);
    else if (fn.kind === "batch") value = (await fn.fn([input]))[0][0];
    else {
      for await (const text of fn.fn(input)) {
        ws.send(
          JSON.stringify({ msg: "process_generating", output: { data: [text], is_generating: true }, success: true }),
        );
        value = text;
      }
    }
  } catch {
    ws.send(JSON.stringify({ msg: "process_completed", output: { error: null }, success: false }));
    ws.close(1000);
    return;
  }
  const duration = (performance.now() - startMs) / 1000;
  const output = { data: [value], is_generating: false, duration, average_duration: null };
  ws.send(JSON.stringify({ msg: "process_completed", output, success: true }));
  ws.close(1000);
}
