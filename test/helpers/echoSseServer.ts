/** A minimal sse_v3 server for the bench's load-side tests. */
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** A minimal sse_v3 server: echoes every join, records the session hashes and the connections. */
export async function echoServer(): Promise<{
  url: string;
  sessions: string[];
  /** Every join's input, in arrival order. */
  inputs: unknown[];
  sockets: () => number;
  close(): void;
}> {
  const received: unknown[] = [];
  const sessions: string[] = [];
  let sockets = 0;
  let next = 0;
  const inputs = new Map<string, unknown>();
  const server = createServer((req, res) => {
    if (req.method === "POST") {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        const join = JSON.parse(body) as { data: unknown[]; session_hash: string };
        sessions.push(join.session_hash);
        received.push(join.data[0]);
        const eventId = `e${next++}`;
        inputs.set(join.session_hash, { eventId, input: join.data[0] });
        res.setHeader("content-type", "application/json").end(JSON.stringify({ event_id: eventId }));
      });
      return;
    }
    const hash = new URL(req.url ?? "", "http://x").searchParams.get("session_hash") ?? "";
    const job = inputs.get(hash) as { eventId: string; input: unknown };
    const completed = { msg: "process_completed", event_id: job.eventId, success: true, output: { data: [job.input] } };
    res.setHeader("content-type", "text/event-stream");
    res.end(
      `data: ${JSON.stringify(completed)}\n\ndata: ${JSON.stringify({ msg: "close_stream", event_id: null })}\n\n`,
    );
  });
  server.on("connection", () => sockets++);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    sessions,
    inputs: received,
    sockets: () => sockets,
    close: () => server.close(),
  };
}
