import { e2eSettings } from './e2e-settings';
import { BENCH_PROCESS, chooseSoakRate, cpuPerEvent, judgeTargets, soakRss, type RunOutcome, type StepOutcome } from './e2e-targets';

function step(offeredPerS: number, over: Partial<StepOutcome> = {}): StepOutcome {
  return {
    offeredPerS,
    acceptedPerS: offeredPerS,
    seconds: 60.2,
    allQueryable: true,
    queryable: { p95Ms: 900 },
    prediction: { consumed: { p50Ms: 40, p99Ms: 90, count: 1_000 } },
    cpuUsPerEvent: { byProcess: { kafka: 60, clickhouse: 80, [BENCH_PROCESS]: 20 }, pipeline: 140, bench: 20 },
    ...over,
  };
}

const run = (over: Partial<RunOutcome> = {}): RunOutcome => ({
  steps: [step(2_500), step(5_000, { prediction: { consumed: { p50Ms: 80, p99Ms: 240, count: 2_000 } } }), step(10_000)],
  soakRss: { kafka: { early: 900, late: 950 }, [BENCH_PROCESS]: { early: 100, late: 400 } },
  soakSeconds: 601,
  soakRate: 10_000,
  history: {
    sizes: [
      { events: 1_000_000, sessionFeatureRows: 150_000, trainerRunMs: 2_000, liveViewMs: 100 },
      { events: 10_000_000, sessionFeatureRows: 1_500_000, trainerRunMs: 2_800, liveViewMs: 120 },
    ],
    trainerRatio: 1.4,
    liveViewRatio: 1.2,
  },
  ...over,
});

const verdicts = (r: RunOutcome) => judgeTargets(r).map((t) => t.met);

describe('cpuPerEvent', () => {
  test('µs per accepted event per process; the total is every process but the bench', () => {
    const c = cpuPerEvent({ launcher: { cpuSeconds: 0.3 }, kafka: { cpuSeconds: 12 }, enricher: { cpuSeconds: 9 }, [BENCH_PROCESS]: { cpuSeconds: 3 } }, 150_000);
    expect(c).toEqual({ byProcess: { launcher: 2, kafka: 80, enricher: 60, [BENCH_PROCESS]: 20 }, pipeline: 142, bench: 20 });
  });

  test('no event accepted: no figure rather than infinity', () => {
    expect(cpuPerEvent({ kafka: { cpuSeconds: 1 } }, 0)).toBeNull();
  });
});

describe('chooseSoakRate', () => {
  const steps = [
    { offeredPerS: 2_500, acceptedPerS: 2_498, allQueryable: true, drainS: 1.2 },
    { offeredPerS: 5_000, acceptedPerS: 4_600, allQueryable: true, drainS: 4.1 },
    { offeredPerS: 10_000, acceptedPerS: 6_000, allQueryable: true, drainS: 2 },
  ];

  test('the highest step rate that accepted ≥ 90 % and whose backlog cleared within 10 s', () => {
    expect(chooseSoakRate(steps, undefined)).toEqual({ rate: 5_000, why: 'the highest step rate that kept up, its backlog cleared within 10 s' });
    // Accepted but not drained: did not keep up.
    expect(chooseSoakRate([steps[0]!, { ...steps[1]!, allQueryable: false }], undefined)?.rate).toBe(2_500);
    // Accepted everything, but a minute of backlog behind it: not a rate the pipeline holds.
    expect(chooseSoakRate([steps[0]!, steps[1]!, { offeredPerS: 10_000, acceptedPerS: 9_990, allQueryable: true, drainS: 61.5 }], undefined)?.rate).toBe(5_000);
  });

  test('BENCH_E2E_SOAK_RATE wins; without any step that kept up, the lowest rate, said so', () => {
    expect(chooseSoakRate(steps, 20_000)).toEqual({ rate: 20_000, why: 'BENCH_E2E_SOAK_RATE' });
    expect(chooseSoakRate([steps[2]!], undefined)).toEqual({ rate: 10_000, why: 'no step kept up: the lowest step rate' });
    expect(chooseSoakRate([], undefined)).toBeNull();
  });

  test('the setting is undefined unless BENCH_E2E_SOAK_RATE is set', () => {
    expect(e2eSettings({}).soakRate).toBeUndefined();
    expect(e2eSettings({ BENCH_E2E_SOAK_RATE: '7500' }).soakRate).toBe(7_500);
    expect(() => e2eSettings({ BENCH_E2E_SOAK_RATE: 'fast' })).toThrow(/BENCH_E2E_SOAK_RATE/);
    expect(e2eSettings({ BENCH_E2E_HISTORY: '0' }).history).toBe(false);
    expect(() => e2eSettings({ BENCH_E2E_HISTORY: 'no' })).toThrow(/BENCH_E2E_HISTORY/);
  });
});

describe('judgeTargets', () => {
  test('a run that meets all five', () => {
    expect(verdicts(run())).toEqual([true, true, true, true, true]);
  });

  test('each target fails on its own figure, and says it', () => {
    const r = run({
      steps: [
        step(2_500, { cpuUsPerEvent: { byProcess: { enricher: 300 }, pipeline: 310, bench: null }, prediction: { consumed: { p50Ms: 60, p99Ms: 101, count: 10 } } }),
        step(5_000),
        step(10_000, { acceptedPerS: 9_700 }),
      ],
      soakRss: { enricher: { early: 1_000, late: 1_150 } },
      history: { ...run().history!, trainerRatio: 3.1 },
    });
    const t = judgeTargets(r);
    expect(t.map((v) => v.met)).toEqual([false, false, false, false, false]);
    expect(t[0]!.measured).toMatch(/^310 µs \(largest: enricher 300/);
    expect(t[1]!.measured).toMatch(/at 2,500: p99 101 ms/);
    expect(t[2]!.measured).toMatch(/9,700\/s accepted of 10,000/);
    expect(t[3]!.measured).toMatch(/enricher 1000 → 1150 MiB/);
    expect(t[4]!.measured).toMatch(/^3\.10×/);
  });

  test('within 2 % of the sustained rate counts (the clock also runs while the last answers come back); a slow p95 does not', () => {
    expect(verdicts(run({ steps: [step(2_500), step(5_000), step(10_000, { acceptedPerS: 9_850 })] }))[2]).toBe(true);
    expect(verdicts(run({ steps: [step(2_500), step(5_000), step(10_000, { queryable: { p95Ms: 2_100 } })] }))[2]).toBe(false);
    expect(verdicts(run({ steps: [step(2_500), step(5_000), step(10_000, { allQueryable: false })] }))[2]).toBe(false);
  });

  test('not judged when the run could not say: short steps, a short soak, smaller history, steps not run', () => {
    const quick = run({
      steps: [step(2_500, { seconds: 15.1 }), step(5_000, { seconds: 15.1 }), step(10_000, { seconds: 15.1 })],
      soakSeconds: 60,
      history: { ...run().history!, sizes: run().history!.sizes.map((s) => ({ ...s, events: s.events / 10 })) },
    });
    // Latency has no duration in its definition: judged on 15 s steps too.
    expect(verdicts(quick)).toEqual([null, true, null, null, null]);
    const none = judgeTargets(run({ steps: [], soakRss: null, soakRate: null, history: null, historyNote: 'skipped (BENCH_E2E_HISTORY=0)' }));
    expect(none.map((t) => t.met)).toEqual([null, null, null, null, null]);
    expect(none[4]!.measured).toBe('skipped (BENCH_E2E_HISTORY=0)');
    expect(judgeTargets(run({ soakRss: {}, soakSeconds: 10 }))[3]!.measured).toBe('10 s at 10,000 events/s offered: too short for thirds of the RSS series (one sample per 5 s)');
    // One prediction rate failing is enough, even when the other was not run.
    expect(verdicts(run({ steps: [step(2_500, { prediction: { consumed: { p50Ms: 1, p99Ms: 500, count: 1 } } })] }))[1]).toBe(false);
  });

  test('the bench process is shown in the soak, never judged', () => {
    const t = judgeTargets(run());
    expect(t[3]!.met).toBe(true);
    expect(t[3]!.measured).toMatch(/bench 400/);
  });
});

describe('soakRss', () => {
  test('largest of the first two thirds against the last third, within the soak window only', () => {
    const series = { kafka: [[0, 5_000], ...Array.from({ length: 9 }, (_, i) => [1_000 + i * 1_000, 100 + i * 10] as [number, number])] as Array<[number, number]> };
    expect(soakRss(series, [1_000, 9_000])).toEqual({ kafka: { early: 150, late: 180 } });
    expect(soakRss(series, [0, 0])).toBeNull();
  });
});
