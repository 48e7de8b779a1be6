/**
 * Latencies in fixed buckets (1 ms up to 1 s, 10 ms up to 10 s, 100 ms up to 10 min, then one overflow bucket), so a
 * 10-minute run at 20k events/s costs a few KB, not millions of numbers. A quantile is the upper edge of its bucket:
 * at most 1 % over the true value below 1 s and 10 % at worst above.
 */
export class LatencyHistogram {
  private readonly counts = new Uint32Array(BUCKETS);
  count = 0;
  maxMs = 0;

  record(ms: number): void {
    const v = Math.max(0, ms);
    this.counts[bucketOf(v)]! += 1;
    this.count += 1;
    if (v > this.maxMs) this.maxMs = v;
  }

  /** The q-quantile (0..1), ms; null without samples. */
  quantile(q: number): number | null {
    if (this.count === 0) return null;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(upperEdgeOf(i), this.maxMs);
    }
    return this.maxMs;
  }

  summary(): LatencySummary {
    return { count: this.count, p50Ms: this.quantile(0.5), p95Ms: this.quantile(0.95), p99Ms: this.quantile(0.99), maxMs: this.count > 0 ? Math.round(this.maxMs) : null };
  }
}

export interface LatencySummary {
  count: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
}

// [0, 1000) by 1 ms, [1000, 10000) by 10 ms, [10000, 600000) by 100 ms, overflow.
const FINE = 1000;
const MID = 900;
const COARSE = 5900;
const BUCKETS = FINE + MID + COARSE + 1;

function bucketOf(ms: number): number {
  if (ms < 1_000) return Math.floor(ms);
  if (ms < 10_000) return FINE + Math.floor((ms - 1_000) / 10);
  if (ms < 600_000) return FINE + MID + Math.floor((ms - 10_000) / 100);
  return BUCKETS - 1;
}

function upperEdgeOf(bucket: number): number {
  if (bucket < FINE) return bucket + 1;
  if (bucket < FINE + MID) return 1_000 + (bucket - FINE + 1) * 10;
  if (bucket < BUCKETS - 1) return 10_000 + (bucket - FINE - MID + 1) * 100;
  return Infinity;
}
