/**
 * The commands of one event-loop turn leave in one socket write (issue 16): counted on the real
 * Redis connection's socket, whose `_write` and `_writev` each become one system call.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { once } from "node:events";
import { Redis } from "ioredis";
import { WriteCoalescer } from "../../src/store/WriteCoalescer.ts";
import { REDIS_URL } from "../helpers/redis.ts";

/** Counts the socket writes of `client` from now on (each `_write` or `_writev` is one system call). */
function countWrites(client: Redis): { readonly count: () => number } {
  const stream = client.stream as unknown as {
    _write: (...args: unknown[]) => void;
    _writev: (...args: unknown[]) => void;
  };
  let writes = 0;
  for (const method of ["_write", "_writev"] as const) {
    const original = stream[method].bind(stream);
    stream[method] = (...args: unknown[]) => {
      writes++;
      original(...args);
    };
  }
  return { count: () => writes };
}

describe("WriteCoalescer", () => {
  const client = new Redis(REDIS_URL, { lazyConnect: true });
  after(() => client.disconnect());

  it("sends the commands of one turn in one write, and those of the next turn in another", async () => {
    await client.connect();
    const writes = countWrites(client);
    const coalescer = new WriteCoalescer(client);
    const turn = (): Promise<unknown[]> => {
      const replies: Promise<unknown>[] = [];
      for (let i = 0; i < 10; i++) {
        coalescer.gather();
        replies.push(client.echo(`m${i}`));
      }
      return Promise.all(replies);
    };
    assert.deepEqual(await turn(), ["m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9"]);
    assert.equal(writes.count(), 1);
    await turn();
    assert.equal(writes.count(), 2);
  });

  it("without it, each command is a write of its own (the control)", async () => {
    if (client.status !== "ready") await client.connect();
    const writes = countWrites(client);
    await Promise.all(Array.from({ length: 10 }, (_, i) => client.echo(`m${i}`)));
    assert.equal(writes.count(), 10);
  });

  it("leaves a connection that is not ready alone, so that its command fails at once instead of waiting", async () => {
    const offline = new Redis("redis://127.0.0.1:1", {
      lazyConnect: true,
      enableOfflineQueue: false,
      retryStrategy: () => null,
    });
    const coalescer = new WriteCoalescer(offline);
    coalescer.gather();
    await assert.rejects(offline.echo("x"), /Stream isn't writeable|enableOfflineQueue/);
    offline.disconnect();
    await once(offline, "end").catch(() => undefined);
  });
});
