/**
 * A probe for the `syscallsPerPrediction` bench: Usher's in-memory store, with chosen queue
 * operations answered one turn of the event loop later (`setImmediate`), as a store over the
 * network answers them. It tells how much of a Redis front's CPU a prediction comes from the
 * engine and the server waiting for their store, rather than from Redis or its client: the
 * same process with the in-memory store, the answers only later (bench/README.md, 2026-12-07,
 * 10:34). Not a store anyone should use.
 */
import type { Claim, ClaimRequest, EnqueueResult, StoredJob } from "../../src/queue/index.ts";
import type { MemoryStore } from "../../src/store/MemoryStore.ts";
import { loadUsherStores } from "./loadUsher.ts";

/** The operations that can be made to answer a turn later. */
export type DeferredOp = "enqueue" | "claim" | "release" | "remove";

/** Every {@link DeferredOp}. */
export const DEFERRED_OPS: readonly DeferredOp[] = ["enqueue", "claim", "release", "remove"];

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** An in-memory store whose `ops` answer one turn later; the others answer as usual. */
export async function deferredMemoryStore(ops: readonly DeferredOp[]): Promise<MemoryStore> {
  // The store of the same build as the rest of the process (it is not part of the public API).
  const { MemoryStore: Base } = await loadUsherStores();
  const later = new Set(ops);
  class DeferredMemoryStore extends Base {
    // The engine then takes the async methods below, not the in-call ones.
    override readonly answersInCall = false;

    override async enqueue(job: StoredJob, maxSize: number | null): Promise<EnqueueResult> {
      if (later.has("enqueue")) await nextTurn();
      return this.enqueueNow(job, maxSize);
    }

    override async claim(request: ClaimRequest): Promise<Claim | null> {
      if (later.has("claim")) await nextTurn();
      return this.claimNow(request);
    }

    override async release(poolId: string, claim?: Claim): Promise<void> {
      if (later.has("release")) await nextTurn();
      this.releaseNow(poolId, claim);
    }

    override async remove(eventId: string): Promise<StoredJob | null> {
      if (later.has("remove")) await nextTurn();
      return this.removeNow(eventId);
    }
  }
  return new DeferredMemoryStore();
}
