import { useEffect, useState } from "preact/hooks";
import {
  describeProgress,
  formatStatus,
  loadingCaption,
  loadingSeconds,
  secondsLeft,
  type JobStatus,
} from "../runtime/JobStatus.ts";

/**
 * The status of the event feeding an output: queue position and size, elapsed and expected time
 * (ticking every 100 ms, so the wait counts down live between server estimates), a progress bar
 * for `progress` messages ("loading model, ~N s", counting down, while a worker loads the model),
 * or the error. The data-* attributes carry the raw numbers for tests.
 */
export function StatusTracker({ status }: { status: JobStatus }) {
  const [, setTick] = useState(0);
  const live = status.stage !== "error";
  useEffect(() => {
    if (!live) return;
    const timer = setInterval(() => setTick((n) => n + 1), 100);
    return () => clearInterval(timer);
  }, [live, status]);
  // Read at each render, not kept from the last tick: a status that just came (its times set from
  // the clock at receipt) must not be drawn against an older time (a load's "~2 s" showed "~3 s").
  const now = performance.now();
  const left = secondsLeft(status, now);
  const unit = status.progress?.[0];
  const described = unit === undefined ? null : describeProgress(unit);
  const progress =
    described === null || status.loadingUntil === null
      ? described
      : { ...described, caption: loadingCaption(status.loadingUntil, now) };
  return (
    <div
      class={`status ${status.stage} show-${status.showProgress}`}
      data-testid="status"
      data-stage={status.stage}
      data-rank={status.rank ?? undefined}
      data-queue-size={status.queueSize ?? undefined}
      data-eta-left={left === null ? undefined : left.toFixed(1)}
      title={left === null ? undefined : `about ${left.toFixed(1)} s left`}
    >
      <span class="status-text" data-testid="status-text">
        {formatStatus(status, now)}
      </span>
      {progress !== null && (
        <div
          class="progress"
          data-testid="progress"
          data-loading={loadingSeconds(unit) === undefined ? undefined : "true"}
        >
          {progress.fraction !== null && (
            <progress max={1} value={progress.fraction} aria-label={progress.caption || "Progress"} />
          )}
          <span class="progress-caption">{progress.caption}</span>
        </div>
      )}
      {status.stage === "error" && status.message !== null && <span class="status-error">{status.message}</span>}
    </div>
  );
}
