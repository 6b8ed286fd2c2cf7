/**
 * Runs claimed jobs: turns a claim into a {@link RunningJob} (announcing `started` for each of its
 * events), calls the function, reads a stream to its end, and ends every event of the job with
 * `completed` or `failed` (or a timeout). A job keeps its slot and thread until its function
 * really settles; then {@link Dispatcher.releaseSlot} frees them.
 */
import type { Claim } from "./QueueStore.ts";
import type { Dispatcher } from "./Dispatcher.ts";
import { cancelled, type EngineCore } from "./EngineCore.ts";
import type { Estimator } from "./Estimator.ts";
import { EventRecord } from "./EventRecord.ts";
import { RunningJob } from "./RunningJob.ts";
import { closeStream } from "./callDirect.ts";
import { batchStreamError, outputsError, timeoutError } from "./functionErrors.ts";
import { toErrorPayload } from "./toErrorPayload.ts";
import type { EventInfo } from "./types.ts";

/** Starts, runs and finishes the jobs of claims. See the file comment. */
export class JobRunner {
  readonly #core: EngineCore;
  readonly #estimator: Estimator;
  readonly #dispatcher: Dispatcher;

  constructor(core: EngineCore, estimator: Estimator, dispatcher: Dispatcher) {
    this.#core = core;
    this.#estimator = estimator;
    this.#dispatcher = dispatcher;
  }

  /** Starts the job of a claim: `started` for each live event, then the function's call. */
  start(claim: Claim): void {
    const core = this.#core;
    const fs = core.fns.get(claim.fnId);
    const pool = core.pools.get(claim.poolId);
    if (fs === undefined || pool === undefined) {
      // A job of a function this engine does not know (another process's app): not ours to run.
      void this.#dispatcher.releaseSlot(claim.poolId, claim);
      return;
    }
    const now = core.clock.now();
    const records: EventRecord[] = [];
    const infos: EventInfo[] = [];
    const inputs: unknown[] = [];
    for (const sj of claim.jobs) {
      let r = core.records.get(sj.eventId);
      if (r === undefined) {
        // Joined through another process sharing the store, which announced it.
        r = new EventRecord(sj.eventId, sj.sessionHash, fs);
        r.announced = core.cluster !== null;
        core.records.set(sj.eventId, r);
      }
      if (r.cancelReason !== null || core.closed) {
        core.end(r, cancelled(r, r.cancelReason ?? "shutdown"));
        continue;
      }
      records.push(r);
      infos.push({ eventId: sj.eventId, sessionHash: sj.sessionHash, rootUrl: sj.rootUrl, meta: sj.meta });
      inputs.push(sj.data);
    }
    pool.invalidate();
    this.#estimator.requestRound(pool);
    if (records.length === 0) {
      void this.#dispatcher.releaseSlot(pool.id, claim);
      return;
    }
    const job = new RunningJob(core, fs, records, infos, now);
    for (const r of records) {
      r.state = "running";
      r.job = job;
    }
    pool.running++;
    core.jobs.add(job);
    if (core.cluster !== null) job.claim = claim;
    this.#announceStarted(job, now);
    const timeoutMs = fs.fn.timeoutMs;
    if (timeoutMs !== undefined && job.live > 0) {
      job.timeoutTimer = core.clock.setTimeout(() => this.#timeout(job, timeoutMs), timeoutMs);
    }
    void this.#run(job, inputs, claim);
  }

  /** `started` for each event of a job just started (its first estimation first, if it had none). */
  #announceStarted(job: RunningJob, now: number): void {
    const etaMs = job.fn.duration.valueMs;
    for (const r of job.records) {
      // A listener may cancel an event while we announce the others.
      if (r.state !== "running") continue;
      if (!r.announced) this.#estimator.announceStart(r);
      if (r.state !== "running") continue;
      const waitedMs = r.joinedAtMs === null ? undefined : now - r.joinedAtMs;
      this.#core.emit({ type: "started", eventId: r.eventId, sessionHash: r.sessionHash, etaMs, waitedMs });
    }
  }

  async #run(job: RunningJob, inputs: readonly unknown[], claim: Claim): Promise<void> {
    const fs = job.fn;
    try {
      if (job.live > 0) {
        const called = fs.fn.invoke(inputs, job);
        const result = called instanceof Promise ? await called : called;
        if (result.kind === "values") {
          job.settled = true;
          this.#complete(job, result.outputs);
        } else if (fs.fn.batch) {
          job.settled = true;
          await closeStream(result.chunks);
          this.#failJob(job, batchStreamError(fs.fn));
        } else {
          await this.#drain(job, result.chunks);
        }
      }
    } catch (err) {
      job.settled = true;
      this.#failJob(job, err);
    } finally {
      job.settled = true;
      job.clearTimers();
      if (job.closing !== null) await job.closing;
      const pool = fs.pool;
      pool.running--;
      this.#core.jobs.delete(job);
      // Its records may outlive it a while: the claim (and its jobs' inputs) need not.
      job.claim = null;
      pool.invalidate();
      const released = this.#dispatcher.releaseSlot(pool.id, claim);
      if (released !== undefined) {
        // The slot stays taken until the store frees it (or hands it its next job).
        pool.releasing++;
        try {
          await released;
        } finally {
          pool.releasing--;
        }
      }
    }
  }

  /** Reads a stream to its end: `generating` per chunk, then `completed` with the last one. */
  async #drain(job: RunningJob, chunks: AsyncIterable<unknown>): Promise<void> {
    const core = this.#core;
    const it = chunks[Symbol.asyncIterator]();
    job.setIterator(it);
    if (job.live === 0) return; // every event ended while invoke ran: setIterator closed it
    let last: unknown = null;
    for (;;) {
      const step = await it.next();
      // After an abort the iterator is being closed: stop reading and drop what comes.
      if (step.done === true || job.live === 0) break;
      last = step.value;
      const durationMs = core.clock.now() - job.startMs;
      const averageDurationMs = job.fn.duration.valueMs;
      for (const r of job.records) {
        if (r.state !== "running") continue;
        core.emit({
          type: "generating",
          eventId: r.eventId,
          sessionHash: r.sessionHash,
          output: last,
          durationMs,
          averageDurationMs,
        });
      }
    }
    job.settled = true;
    if (job.live === 0) return;
    const durationMs = core.clock.now() - job.startMs;
    // A model load (first call of a worker thread) is not the call's usual duration.
    core.recordDuration(job.fn, durationMs - job.loadedMs);
    const averageDurationMs = job.fn.duration.valueMs;
    for (const r of job.records) {
      if (r.state !== "running") continue;
      core.end(r, {
        type: "completed",
        eventId: r.eventId,
        sessionHash: r.sessionHash,
        output: last,
        durationMs,
        averageDurationMs,
      });
    }
  }

  #complete(job: RunningJob, outputs: readonly unknown[]): void {
    const core = this.#core;
    const n = job.records.length;
    const shapeError = outputsError(job.fn.fn, outputs, n);
    if (shapeError !== null) {
      this.#failJob(job, shapeError);
      return;
    }
    // A job whose events were all cancelled is not a representative run: do not record it.
    if (job.live === 0) return;
    const durationMs = core.clock.now() - job.startMs;
    // A model load (first call of a worker thread) is not the call's usual duration.
    core.recordDuration(job.fn, durationMs - job.loadedMs);
    const averageDurationMs = job.fn.duration.valueMs;
    for (let i = 0; i < n; i++) {
      const r = job.records[i] as EventRecord;
      if (r.state !== "running") continue;
      core.end(r, {
        type: "completed",
        eventId: r.eventId,
        sessionHash: r.sessionHash,
        output: outputs[i],
        durationMs,
        averageDurationMs,
      });
    }
  }

  #failJob(job: RunningJob, err: unknown): void {
    if (job.live === 0) return;
    const error = toErrorPayload(err, this.#core.showError);
    for (const r of job.records) {
      if (r.state !== "running") continue;
      this.#core.end(r, { type: "failed", eventId: r.eventId, sessionHash: r.sessionHash, error });
    }
  }

  #timeout(job: RunningJob, timeoutMs: number): void {
    job.timeoutTimer = null;
    if (job.settled || job.live === 0) return;
    const err = timeoutError(job.fn.fn, timeoutMs);
    job.abortReason = err;
    this.#failJob(job, err);
  }
}
