/**
 * Floor of the `connections` scenario: a bare `node:net` server that accepts connections and, on
 * a round, writes one estimation-sized message to each; no HTTP, no framing, no queue. What it
 * costs is what any Node server pays to hold these sockets and to write to each once (a write is
 * one system call per socket), on the same machine, so Usher's figures can be read against it.
 *
 * Probe over IPC as bench/servers/connectionsServer.ts: `mem`, `round`, `size` (connections).
 * Prints `LISTENING <url>` when ready; exits when the IPC channel closes.
 */
import { createServer, type Socket } from "node:net";
import { measureRound, memAfterGc, type ProbeRequest, type RoundReading } from "./serverReadings.ts";

/** The size of a typical estimation frame. */
const MESSAGE = Buffer.from(
  `data: ${JSON.stringify({ msg: "estimation", event_id: "0123456789abcdef0123456789abcdef", rank: 1234, queue_size: 9999, rank_eta: 12.5 })}\n\n`,
);

const sockets = new Set<Socket>();
const server = createServer({ noDelay: true }, (socket) => {
  sockets.add(socket);
  socket.on("data", () => undefined);
  socket.on("error", () => undefined);
  socket.once("close", () => sockets.delete(socket));
});
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const address = server.address();
const port = typeof address === "object" && address !== null ? address.port : 0;

/** One synchronous loop over the sockets: its longest stretch is the whole round. */
function round(): Promise<RoundReading> {
  return measureRound(() => {
    for (const s of sockets) s.write(MESSAGE);
    return sockets.size;
  });
}

process.on("message", (msg: ProbeRequest) => {
  const answer = msg.cmd === "mem" ? memAfterGc() : msg.cmd === "round" ? round() : Promise.resolve(sockets.size);
  void answer.then((value) => process.send?.({ cmd: msg.cmd, value }));
});
process.on("disconnect", () => {
  for (const s of sockets) s.destroy();
  server.close(() => process.exit(0));
});
console.log(`LISTENING http://127.0.0.1:${port}`);
