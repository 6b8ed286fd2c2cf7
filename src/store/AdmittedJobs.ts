/**
 * Jobs this node admitted and has not seen leave, with the JSON it sent to Redis: a claim of one
 * of them (which comes back with that very JSON) takes the job object as it is instead of parsing
 * it again. At a crowd a front mostly claims what it admitted a few milliseconds before, and
 * `JSON.parse` of each claimed job (interning its short strings among it) was a tenth of the
 * front's own work for Redis. A job leaves when it is claimed here, or when another node says it
 * claimed or removed it, or when this node removes it; the rest (a job whose word was lost) go
 * oldest first beyond a bound on the JSON's total length. One not kept is parsed, as before.
 */
import type { StoredJob } from "../queue/index.ts";

/** Most characters of JSON kept (about 8 MB as one-byte strings). */
const MAX_CHARS = 8_000_000;
/** How the JSON of a job this node admitted starts (`JSON.stringify` of a StoredJob: its event id first). */
const PREFIX = '{"eventId":"';

/**
 * A job kept, until it leaves: then its fields are let go. The map's old tables may keep an entry
 * after its delete (a table rehashed into old space still points at what it held, until the next
 * full collection), and V8's young-generation collection keeps what an old object points to:
 * through the entry, each job's input and metadata (bench/README.md, 2026-12-07, 08:54).
 */
interface Kept {
  json: string;
  job: StoredJob | null;
}

/** See the file comment. */
export class AdmittedJobs {
  readonly #jobs = new Map<string, Kept>();
  readonly #maxChars: number;
  #chars = 0;

  constructor(maxChars = MAX_CHARS) {
    this.#maxChars = maxChars;
  }

  /** Jobs kept (tests). */
  get size(): number {
    return this.#jobs.size;
  }

  /** `job`, sent to Redis as `json` (its event id first), may be claimed here later. */
  add(job: StoredJob, json: string): void {
    if (json.length > this.#maxChars || !json.startsWith(`${PREFIX}${job.eventId}"`)) return;
    this.forget(job.eventId);
    this.#jobs.set(job.eventId, { json, job });
    this.#chars += json.length;
    for (const [id, kept] of this.#jobs) {
      if (this.#chars <= this.#maxChars) break;
      this.#drop(id, kept);
    }
  }

  /** The job sent as `json`, when kept (it no longer is): the very object, not a copy. */
  take(json: string): StoredJob | undefined {
    if (!json.startsWith(PREFIX)) return undefined;
    const end = json.indexOf('"', PREFIX.length);
    if (end < 0) return undefined;
    const id = json.slice(PREFIX.length, end);
    const kept = this.#jobs.get(id);
    if (kept === undefined || kept.json !== json) return undefined;
    const job = kept.job ?? undefined;
    this.#drop(id, kept);
    return job;
  }

  /** The job of `eventId` left the queue elsewhere, or was removed: it will not be claimed here. */
  forget(eventId: string): void {
    const kept = this.#jobs.get(eventId);
    if (kept !== undefined) this.#drop(eventId, kept);
  }

  #drop(eventId: string, kept: Kept): void {
    this.#jobs.delete(eventId);
    this.#chars -= kept.json.length;
    kept.json = "";
    kept.job = null;
  }

  clear(): void {
    this.#jobs.clear();
    this.#chars = 0;
  }
}
