import { readFileSync } from 'node:fs';

// CPU and memory of the stack's processes, read from /proc (Linux): no agent in the processes, so measuring does not
// change what is measured.

/** USER_HZ: the unit of utime/stime in /proc/<pid>/stat; 100 on every Linux build we run on. */
const CLOCK_TICKS_PER_S = 100;

export interface ProcessSample {
  /** utime + stime, seconds of CPU since the process started. */
  cpuSeconds: number;
  /** Resident set size, bytes. */
  rssBytes: number;
}

/** One read of /proc/<pid>/stat and /proc/<pid>/status; undefined when the process is gone. */
export function sampleProcess(pid: number): ProcessSample | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // TRICKY: field 2 (comm) is in parentheses and may contain spaces; count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN);
    return { cpuSeconds: (utime + stime) / CLOCK_TICKS_PER_S, rssBytes: rssKb * 1024 };
  } catch {
    return undefined;
  }
}

export interface ProcessUsage {
  /** Mean CPU over the window, in cores (1 = one core busy all the time). */
  cpuCores: number;
  /** CPU time used in the window (utime + stime), s: what CPU per event is computed from. */
  cpuSeconds: number;
  /** Largest RSS sampled in the window, MiB. */
  maxRssMiB: number;
  /** RSS at the window's end, MiB. */
  endRssMiB: number;
}

interface Tracked {
  pid: number;
  first: ProcessSample & { atMs: number };
  last: ProcessSample & { atMs: number };
  maxRss: number;
}

/**
 * Samples named processes every `intervalMs`: CPU as the difference of utime + stime over a window, RSS as its
 * maximum. A process that was restarted (new pid) starts a new account under the same name.
 */
export class ProcessStatsSampler {
  private tracked = new Map<string, Tracked>();
  private timer: NodeJS.Timeout | undefined;
  /** The whole run's largest RSS per process, bytes. */
  readonly peakRss = new Map<string, number>();
  /** RSS per process over the run, for the bounded-memory check: [ms since start, MiB]. */
  readonly rssSeries = new Map<string, Array<[number, number]>>();
  /** rssSeries times are ms since this. */
  readonly startedAt = Date.now();
  private lastSeriesAt = 0;

  constructor(
    private readonly pids: () => Array<{ name: string; pid: number }>,
    private readonly intervalMs = 500,
    private readonly seriesEveryMs = 5_000,
  ) {}

  start(): this {
    this.sample();
    this.timer ??= setInterval(() => this.sample(), this.intervalMs);
    return this;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Starts a new window: usage() reports from here. */
  resetWindow(): void {
    this.tracked.clear();
    this.sample();
  }

  /** CPU and RSS per process since the last resetWindow(). */
  usage(): Record<string, ProcessUsage> {
    this.sample();
    const out: Record<string, ProcessUsage> = {};
    for (const [name, t] of this.tracked) {
      const seconds = (t.last.atMs - t.first.atMs) / 1000;
      const cpuSeconds = t.last.cpuSeconds - t.first.cpuSeconds;
      out[name] = {
        cpuCores: seconds > 0 ? round(cpuSeconds / seconds, 2) : 0,
        cpuSeconds: round(cpuSeconds, 2),
        maxRssMiB: round(t.maxRss / 2 ** 20, 0),
        endRssMiB: round(t.last.rssBytes / 2 ** 20, 0),
      };
    }
    return out;
  }

  private sample(): void {
    const now = Date.now();
    const addToSeries = now - this.lastSeriesAt >= this.seriesEveryMs;
    if (addToSeries) this.lastSeriesAt = now;
    for (const { name, pid } of this.pids()) {
      const s = sampleProcess(pid);
      if (!s) continue;
      const at = { ...s, atMs: now };
      const t = this.tracked.get(name);
      if (!t || t.pid !== pid) this.tracked.set(name, { pid, first: at, last: at, maxRss: s.rssBytes });
      else {
        t.last = at;
        t.maxRss = Math.max(t.maxRss, s.rssBytes);
      }
      this.peakRss.set(name, Math.max(this.peakRss.get(name) ?? 0, s.rssBytes));
      if (addToSeries) {
        const series = this.rssSeries.get(name) ?? [];
        series.push([now - this.startedAt, round(s.rssBytes / 2 ** 20, 0)]);
        this.rssSeries.set(name, series);
      }
    }
  }
}

export function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
