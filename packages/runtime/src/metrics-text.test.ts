import { CounterRate, countOf, maxOf, parseMetricsText, sumOf } from './metrics-text';

const TEXT = `# HELP telltale_collector_events_accepted_total Events acknowledged by Kafka
# TYPE telltale_collector_events_accepted_total counter
telltale_collector_events_accepted_total{service="collector"} 1234

# TYPE telltale_collector_events_rejected_total counter
telltale_collector_events_rejected_total{reason="invalid_event",service="collector"} 3
telltale_collector_events_rejected_total{reason="bad_request",service="collector"} 2
telltale_trainer_auc{model="purchase_propensity",service="trainer"} 0.8125
telltale_trainer_model_version{model="a"} 3
telltale_trainer_model_version{model="b"} 7
telltale_odd{path="a \\"quoted\\", with comma",x="\\\\"} 1.5e3 1700000000000
telltale_collector_request_duration_seconds_bucket{le="+Inf",status="200"} 10
telltale_nan NaN
process_start_time_seconds 1700000000
garbage line without value
`;

describe('parseMetricsText', () => {
  const samples = parseMetricsText(TEXT);

  it('reads counters and gauges with their labels', () => {
    expect(sumOf(samples, 'telltale_collector_events_accepted_total')).toBe(1234);
    expect(sumOf(samples, 'telltale_collector_events_rejected_total')).toBe(5);
    expect(sumOf(samples, 'telltale_collector_events_rejected_total', { reason: 'invalid_event' })).toBe(3);
    expect(sumOf(samples, 'telltale_trainer_auc')).toBeCloseTo(0.8125);
    expect(sumOf(samples, 'process_start_time_seconds')).toBe(1_700_000_000);
  });

  it('handles escapes, commas in values, timestamps, +Inf labels and NaN', () => {
    expect(samples.find((s) => s.name === 'telltale_odd')).toEqual({
      name: 'telltale_odd',
      labels: { path: 'a "quoted", with comma', x: '\\' },
      value: 1500,
    });
    expect(samples.find((s) => s.name.endsWith('_bucket'))?.labels.le).toBe('+Inf');
    expect(sumOf(samples, 'telltale_nan')).toBeNaN();
    expect(samples.some((s) => s.name === 'garbage')).toBe(false);
  });

  it('tells a missing metric from a zero one', () => {
    expect(sumOf(samples, 'telltale_scorer_predictions_total')).toBeUndefined();
    expect(sumOf(undefined, 'anything')).toBeUndefined();
    expect(sumOf(parseMetricsText('x_total 0'), 'x_total')).toBe(0);
    expect(maxOf(samples, 'telltale_trainer_model_version')).toBe(7);
    expect(maxOf(samples, 'nope')).toBeUndefined();
  });
});

describe('CounterRate', () => {
  it('computes per-second rates over a sliding window', () => {
    const rate = new CounterRate(5_000);
    expect(rate.perSecond()).toBeUndefined();
    rate.add(0, 0);
    expect(rate.perSecond()).toBeUndefined();
    for (let t = 1; t <= 10; t++) rate.add(t * 1000, t * 100);
    expect(rate.perSecond()).toBeCloseTo(100);
    for (let t = 11; t <= 20; t++) rate.add(t * 1000, 1000); // traffic stopped
    expect(rate.perSecond()).toBe(0);
  });

  it('ignores missing readings and restarts after a counter reset', () => {
    const rate = new CounterRate(5_000);
    rate.add(0, undefined);
    rate.add(1000, 500);
    rate.add(2000, 700);
    expect(rate.perSecond()).toBeCloseTo(200);
    rate.add(3000, 10); // service restarted
    expect(rate.perSecond()).toBeUndefined();
    rate.add(4000, 60);
    expect(rate.perSecond()).toBeCloseTo(50);
  });
});

describe('countOf', () => {
  it('is 0 for a service that answered without a sample yet, undefined for one that did not answer', () => {
    const samples = parseMetricsText('# TYPE x_total counter\ny_total{a="1"} 3\n');
    expect(countOf(samples, 'x_total')).toBe(0);
    expect(countOf(samples, 'y_total', { a: '1' })).toBe(3);
    expect(countOf(undefined, 'x_total')).toBeUndefined();
  });
});
