/**
 * Measures who is busy during a measurement window: the load generator itself (this process,
 * `process.cpuUsage()`), the server under test (its child process, from `/proc/<pid>/stat` on
 * Linux) and the generator's event-loop delay. CPU is given as a fraction of one core, so 1.0
 * means a core was saturated and the figures around it are suspect.
 */
import { readFileSync } from "node:fs";
import { monitorEventLoopDelay, type IntervalHistogram } from "node:perf_hooks";

/** What a {@link CpuMeter} saw between `start()` and `stop()`. */
export interface CpuReading {
  readonly wallMs: number;
  /** Load generator CPU, fraction of one core (summed over its processes where it is split). */
  readonly generatorCpu: number;
  /** Where the generator is split over processes (`SplitLoop`): the CPU of the busiest one. */
  readonly generatorBusiestCpu?: number;
  /** Server CPU, fraction of one core; null when it cannot be read (not Linux, process gone). */
  readonly serverCpu: number | null;
  /**
   * CPU used by everything else on the machine (other processes, kernel threads), in cores; null
   * off Linux. Above ~0.2 the box was busy with something else and the figures are noisy.
   */
  readonly otherCpu: number | null;
  /** 99th percentile of the generator's event-loop delay, ms. */
  readonly generatorLoopDelayP99Ms: number;
  /** Longest event-loop stall of the generator (GC, preemption by other processes), ms. */
  readonly generatorLoopDelayMaxMs: number;
}

/** Linux clock ticks per second for /proc times (`getconf CLK_TCK`, 100 on every common kernel). */
const CLOCK_TICKS_PER_S = 100;

/** Total CPU time (user + system) of process `pid` in ms, or null if unreadable. */
export function readProcessCpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    if (!Number.isFinite(utime) || !Number.isFinite(stime)) return null;
    return ((utime + stime) * 1000) / CLOCK_TICKS_PER_S;
  } catch {
    return null;
  }
}

/** A process's system calls so far: `syscw` and `syscr` of `/proc/<pid>/io` (Linux), NaN where unreadable. */
export function readProcessSyscalls(pid: number): { readonly writes: number; readonly reads: number } {
  let io = "";
  try {
    io = readFileSync(`/proc/${pid}/io`, "utf8");
  } catch {
    // Not Linux, or the process is gone: the counts read NaN.
  }
  const field = (name: string): number => Number(new RegExp(`${name}: (\\d+)`).exec(io)?.[1] ?? Number.NaN);
  return { writes: field("syscw"), reads: field("syscr") };
}

/** A process's write and read system calls and CPU time so far (NaN where unreadable). */
export interface ProcessCounts {
  readonly writes: number;
  readonly reads: number;
  readonly cpuMs: number;
}

/** {@link readProcessSyscalls} and {@link readProcessCpuMs} of `pid`, read together. */
export function readProcessCounts(pid: number): ProcessCounts {
  return { ...readProcessSyscalls(pid), cpuMs: readProcessCpuMs(pid) ?? Number.NaN };
}

/** User + system CPU time of the whole machine in ms (all cores, from /proc/stat), or null if unreadable. */
export function readMachineBusyMs(): number | null {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0] ?? "";
    const t = line.trim().split(/\s+/).slice(1).map(Number);
    // Fields: user nice system idle iowait irq softirq steal. Process times cover user and
    // system only, so interrupts (loopback networking) are left out on both sides.
    const busy = (t[0] ?? 0) + (t[1] ?? 0) + (t[2] ?? 0);
    return (busy * 1000) / CLOCK_TICKS_PER_S;
  } catch {
    return null;
  }
}

/** One measurement window over the generator and, optionally, a server process. */
export class CpuMeter {
  readonly #serverPid: number | undefined;
  #startMs = 0;
  #startCpu: NodeJS.CpuUsage | null = null;
  #startServerMs: number | null = null;
  #startMachineMs: number | null = null;
  #histogram: IntervalHistogram | null = null;

  /** @param serverPid Process id of the server under test, if any. */
  constructor(serverPid?: number) {
    this.#serverPid = serverPid;
  }

  /** Opens the window (calling it again restarts it). */
  start(): void {
    this.#histogram?.disable();
    this.#histogram = monitorEventLoopDelay({ resolution: 10 });
    this.#histogram.enable();
    this.#startMs = performance.now();
    this.#startCpu = process.cpuUsage();
    this.#startServerMs = this.#serverPid === undefined ? null : readProcessCpuMs(this.#serverPid);
    this.#startMachineMs = readMachineBusyMs();
  }

  /** Closes the window and returns what it saw. */
  stop(): CpuReading {
    const wallMs = Math.max(1, performance.now() - this.#startMs);
    const cpu = process.cpuUsage(this.#startCpu ?? undefined);
    const serverNow = this.#serverPid === undefined ? null : readProcessCpuMs(this.#serverPid);
    const machineNow = readMachineBusyMs();
    const histogram = this.#histogram;
    histogram?.disable();
    this.#histogram = null;
    const generatorCpu = (cpu.user + cpu.system) / 1000 / wallMs;
    const serverCpu =
      serverNow === null || this.#startServerMs === null ? null : (serverNow - this.#startServerMs) / wallMs;
    const machineCpu =
      machineNow === null || this.#startMachineMs === null ? null : (machineNow - this.#startMachineMs) / wallMs;
    return {
      wallMs,
      generatorCpu,
      serverCpu,
      otherCpu: machineCpu === null ? null : Math.max(0, machineCpu - generatorCpu - (serverCpu ?? 0)),
      generatorLoopDelayP99Ms: histogram === null ? 0 : histogram.percentile(99) / 1e6,
      generatorLoopDelayMaxMs: histogram === null ? 0 : histogram.max / 1e6,
    };
  }
}

/**
 * A measurement window inside a round: `meter` starts when the warm-up (`warmupMs`) ends and stops
 * `durationMs` later. `reading()` gives what it saw (stopping it now if its timer has not: a round
 * may end a few ms before its timers fire); `cancel()` clears the timers.
 */
export function meterWindow(
  meter: CpuMeter | undefined,
  warmupMs: number,
  durationMs: number,
): { reading(): CpuReading | null; cancel(): void } {
  let cpu: CpuReading | null = null;
  const opened = setTimeout(() => meter?.start(), warmupMs);
  const closed = setTimeout(() => (cpu = meter?.stop() ?? null), warmupMs + durationMs);
  const cancel = (): void => {
    clearTimeout(opened);
    clearTimeout(closed);
  };
  return {
    reading: () => {
      cancel();
      cpu ??= meter?.stop() ?? null;
      return cpu;
    },
    cancel,
  };
}
