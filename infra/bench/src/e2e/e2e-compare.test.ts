import type { StepResult } from './e2e.bench';
import { renderComparison } from './e2e-compare';

const step = (cpu: number, p99: number): StepResult =>
  ({
    name: 'r2500',
    offeredPerS: 2500,
    acceptedPerS: 2500,
    cpuUsPerEvent: { pipeline: cpu, byProcess: { 'enricher (x)': cpu / 4, kafka: cpu / 3 }, bench: 10 },
    prediction: { consumed: { p50Ms: 50, p99Ms: p99 }, scored: {} },
    queryable: { p95Ms: 900 },
    maxLag: { enricher: 0 },
    kafkaRequestsPerS: { enricher: { Produce: 10, Fetch: 5 }, scorer: { Fetch: 5 } },
    load1: 1.5,
  }) as unknown as StepResult;

describe('renderComparison', () => {
  it('shows each run per step and its ratio to the baseline', () => {
    const md = renderComparison('abc123', [
      { label: 'baseline', result: { at: 't0', machine: { cores: 2, node: 'v24' }, steps: [step(400, 200)] } },
      { label: 'this', result: { at: 't1', machine: { cores: 2, node: 'v24' }, steps: [step(300, 100)] } },
    ]);
    expect(md).toContain('| CPU µs per event (all processes) | 400 | 300 | 0.75× |');
    expect(md).toContain('| event → prediction p99, ms | 200 | 100 | 0.50× |');
    expect(md).toContain('| Kafka requests/s (all stages) | 20 | 20 | 1.00× |');
  });
});
