/** One sample of the Prometheus text exposition format. */
export interface MetricSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * A small parser for the Prometheus text format (what prom-client serves): enough for a dashboard that reads a few
 * counters and gauges. Comments (# HELP, # TYPE) and malformed lines are skipped; histogram series come through
 * under their own names (_bucket, _sum, _count).
 */
export function parseMetricsText(text: string): MetricSample[] {
  const samples: MetricSample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([A-Za-z_:][A-Za-z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+-?\d+)?$/.exec(line);
    if (!match) continue;
    const value = parseValue(match[4]!);
    if (value === undefined) continue;
    const labels = match[3] === undefined ? {} : parseLabels(match[3]);
    if (labels === undefined) continue;
    samples.push({ name: match[1]!, labels, value });
  }
  return samples;
}

function parseValue(text: string): number | undefined {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  const n = Number(text);
  return Number.isNaN(n) ? undefined : n;
}

/** name="value" pairs; values may hold escaped quotes, backslashes and newlines, and commas. */
function parseLabels(text: string): Record<string, string> | undefined {
  const labels: Record<string, string> = {};
  const pair = /\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(,|$)/y;
  let at = 0;
  while (at < text.length) {
    pair.lastIndex = at;
    const m = pair.exec(text);
    if (!m) return text.slice(at).trim() === '' ? labels : undefined;
    labels[m[1]!] = m[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    at = pair.lastIndex;
  }
  return labels;
}

/**
 * Sum of the samples named `name` whose labels include `where`; undefined when there is none (the metric does not
 * exist yet), so a dashboard can tell "0" from "not there".
 */
export function sumOf(samples: MetricSample[] | undefined, name: string, where: Record<string, string> = {}): number | undefined {
  if (!samples) return undefined;
  let found = false;
  let sum = 0;
  for (const s of samples) {
    if (s.name !== name) continue;
    if (!Object.entries(where).every(([k, v]) => s.labels[k] === v)) continue;
    found = true;
    sum += s.value;
  }
  return found ? sum : undefined;
}

/** Like sumOf, but 0 when the service answered and the counter has no sample yet (nothing counted so far). */
export function countOf(samples: MetricSample[] | undefined, name: string, where: Record<string, string> = {}): number | undefined {
  return samples ? (sumOf(samples, name, where) ?? 0) : undefined;
}

/** Largest value of a gauge across label sets (e.g. the newest model version over models). */
export function maxOf(samples: MetricSample[] | undefined, name: string): number | undefined {
  const values = (samples ?? []).filter((s) => s.name === name && !Number.isNaN(s.value)).map((s) => s.value);
  return values.length === 0 ? undefined : Math.max(...values);
}

/**
 * Per-second rate of a counter from its recent readings (a sliding window), robust to restarts: a counter that
 * goes down (the service restarted) starts a new window instead of showing a negative rate.
 */
export class CounterRate {
  private readings: Array<{ atMs: number; value: number }> = [];

  constructor(private readonly windowMs = 5_000) {}

  add(atMs: number, value: number | undefined): void {
    if (value === undefined) return;
    const last = this.readings[this.readings.length - 1];
    if (last && value < last.value) this.readings = [];
    this.readings.push({ atMs, value });
    // Keep one reading at or before the window's start so the rate spans the whole window.
    while (this.readings.length > 2 && this.readings[1]!.atMs <= atMs - this.windowMs) this.readings.shift();
  }

  /** undefined until there are two readings. */
  perSecond(): number | undefined {
    const first = this.readings[0];
    const last = this.readings[this.readings.length - 1];
    if (!first || !last || last.atMs === first.atMs) return undefined;
    return ((last.value - first.value) * 1000) / (last.atMs - first.atMs);
  }
}
