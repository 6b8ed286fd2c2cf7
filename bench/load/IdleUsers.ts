/**
 * Many users who each joined the queue once and now wait, connected: over the multiplexed queue
 * socket (one WebSocket per user) or over SSE (`POST /queue/join`, then `GET /queue/data` held
 * open on its own connection); or, for the floor, bare TCP connections. They read whatever comes
 * and count the messages.
 */
import { Agent, get, request, type ClientRequest } from "node:http";
import { connect, type Socket } from "node:net";
import WebSocket from "ws";

/** Users connected at once while opening, so that the server's accept backlog never overflows. */
const WAVE = 250;

/** A crowd of waiting users. */
export interface IdleUsers {
  readonly count: number;
  /** Messages (WebSocket frames or SSE chunks) received so far by all users. */
  received(): number;
  /** Cancels every user's event (so that the server forgets them at once), then disconnects. */
  cancelAll(): Promise<void>;
  /** Disconnects every user. */
  close(): void;
}

async function inWaves(n: number, open: (i: number) => Promise<void>): Promise<void> {
  for (let from = 0; from < n; from += WAVE) {
    const wave: Promise<void>[] = [];
    for (let i = from; i < Math.min(n, from + WAVE); i++) wave.push(open(i));
    await Promise.all(wave);
  }
}

/** `n` users, each with its own queue socket and one waiting event. */
export async function openWsUsers(baseUrl: string, n: number, prefix: string): Promise<IdleUsers> {
  const sockets: WebSocket[] = [];
  const events: string[] = [];
  let received = 0;
  const wsBase = baseUrl.replace(/^http/, "ws");
  await inWaves(n, (i) => {
    return new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(`${wsBase}/gradio_api/queue/ws?session_hash=${prefix}${i}`, {
        perMessageDeflate: false,
      });
      sockets.push(ws);
      ws.once("error", reject);
      ws.once("open", () => ws.send(JSON.stringify({ type: "join", ref: i, fn_index: 0, data: [] })));
      ws.on("message", (data) => {
        received++;
        const text = data.toString();
        if (!text.startsWith('{"msg":"joined"') && !text.startsWith('{"msg":"join_error"')) return;
        const frame = JSON.parse(text) as { msg: string; event_id?: string; detail?: unknown };
        if (frame.msg === "join_error") reject(new Error(`join refused: ${JSON.stringify(frame.detail)}`));
        else {
          events[i] = frame.event_id ?? "";
          resolve();
        }
      });
    });
  });
  const close = (): void => {
    for (const ws of sockets) ws.terminate();
  };
  return {
    count: n,
    received: () => received,
    async cancelAll() {
      sockets.forEach((ws, i) => ws.send(JSON.stringify({ type: "cancel", event_id: events[i] })));
      await new Promise((r) => setTimeout(r, 500));
      close();
    },
    close,
  };
}

/** `n` users, each with one waiting event and its own open `/queue/data` stream. */
export async function openSseUsers(baseUrl: string, n: number, prefix: string): Promise<IdleUsers> {
  const joinAgent = new Agent({ keepAlive: true, maxSockets: 64 });
  const streams: ClientRequest[] = [];
  const events: string[] = [];
  let received = 0;
  await inWaves(n, async (i) => {
    const session = `${prefix}${i}`;
    const joined = await postJson(joinAgent, `${baseUrl}/gradio_api/queue/join`, {
      data: [],
      fn_index: 0,
      session_hash: session,
    });
    events[i] = (joined as { event_id: string }).event_id;
    await new Promise<void>((resolve, reject) => {
      // Its own connection, held open, as a browser tab's stream is.
      const req = get(`${baseUrl}/gradio_api/queue/data?session_hash=${session}`, { agent: false }, (res) => {
        res.on("data", () => received++);
        res.on("error", () => undefined);
        resolve();
      });
      req.on("error", reject);
      streams.push(req);
    });
  });
  const close = (): void => {
    for (const req of streams) req.destroy();
    joinAgent.destroy();
  };
  return {
    count: n,
    received: () => received,
    async cancelAll() {
      await inWaves(n, async (i) => {
        await postJson(joinAgent, `${baseUrl}/gradio_api/cancel`, {
          event_id: events[i],
          session_hash: `${prefix}${i}`,
          fn_index: 0,
        });
      });
      close();
    },
    close,
  };
}

function postJson(agent: Agent, url: string, body: unknown): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const req = request(
      url,
      {
        method: "POST",
        agent,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(payload) },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () => {
          if (res.statusCode !== 200) reject(new Error(`${url}: HTTP ${res.statusCode} ${text}`));
          else resolve(JSON.parse(text));
        });
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

/** `n` bare TCP connections (the floor's users: nothing to join). */
export async function openRawUsers(baseUrl: string, n: number): Promise<IdleUsers> {
  const { hostname, port } = new URL(baseUrl);
  const sockets: Socket[] = [];
  let received = 0;
  await inWaves(n, () => {
    return new Promise<void>((resolve, reject) => {
      const s = connect(Number(port), hostname, () => resolve());
      s.on("data", () => received++);
      s.once("error", reject);
      sockets.push(s);
    });
  });
  const close = (): void => {
    for (const s of sockets) s.destroy();
  };
  return { count: n, received: () => received, cancelAll: async () => close(), close };
}
