import { LatencyHistogram } from './latency-histogram';

describe('LatencyHistogram', () => {
  it('reports quantiles within its bucket resolution', () => {
    const h = new LatencyHistogram();
    for (let ms = 1; ms <= 1000; ms++) h.record(ms * 3); // 3 ms … 3000 ms, uniform
    expect(h.count).toBe(1000);
    expect(h.quantile(0.5)).toBeGreaterThanOrEqual(1500);
    expect(h.quantile(0.5)).toBeLessThanOrEqual(1510);
    expect(h.quantile(0.99)).toBeGreaterThanOrEqual(2970);
    expect(h.quantile(0.99)).toBeLessThanOrEqual(2980);
    expect(h.quantile(1)).toBe(3000);
  });

  it('never reports more than the largest sample, and nothing without samples', () => {
    const h = new LatencyHistogram();
    expect(h.summary()).toEqual({ count: 0, p50Ms: null, p95Ms: null, p99Ms: null, maxMs: null });
    h.record(12.3);
    expect(h.quantile(0.5)).toBe(12.3);
    h.record(900_000);
    expect(h.quantile(1)).toBe(900_000);
  });
});
