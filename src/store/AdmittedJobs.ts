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

/** See the file comment. */
export class AdmittedJobs {
  readonly #jobs = new Map<string, { readonly json: string; readonly job: StoredJob }>();
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
      this.#drop(id, kept.json);
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
    this.#drop(id, json);
    return kept.job;
  }

  /** The job of `eventId` left the queue elsewhere, or was removed: it will not be claimed here. */
  forget(eventId: string): void {
    const kept = this.#jobs.get(eventId);
    if (kept !== undefined) this.#drop(eventId, kept.json);
  }

  #drop(eventId: string, json: string): void {
    this.#jobs.delete(eventId);
    this.#chars -= json.length;
  }

  clear(): void {
    this.#jobs.clear();
    this.#chars = 0;
  }
}
