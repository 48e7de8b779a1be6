import { parseMetricsText } from '@telltale/runtime';
import { RateTracker, stageLags, type TargetReading } from './live-view.metrics';

const scorer = (predictions: number, lags: number[]) =>
  parseMetricsText(
    [
      '# TYPE telltale_scorer_predictions_total counter',
      `telltale_scorer_predictions_total{model="purchase_propensity",service="scorer"} ${predictions}`,
      '# TYPE telltale_kafka_consumer_lag gauge',
      ...lags.map((lag, partition) => `telltale_kafka_consumer_lag{topic="features.v1",partition="${partition}",service="scorer"} ${lag}`),
    ].join('\n'),
  );
const collector = (accepted: number) => parseMetricsText(`telltale_collector_events_accepted_total{service="collector"} ${accepted}\n`);

describe('live view metrics', () => {
  it('names topics without the pipeline prefix', () => {
    const samples = parseMetricsText('telltale_kafka_consumer_lag{topic="run1.events.raw",partition="0"} 2\ntelltale_kafka_consumer_lag{topic="other.events.raw",partition="0"} 1\n');
    expect(stageLags([{ name: 'enricher', samples }], 'run1.')).toEqual([
      { stage: 'enricher', topic: 'events.raw', lag: 2 },
      { stage: 'enricher', topic: 'other.events.raw', lag: 1 },
    ]);
  });

  it('sums the lag of each stage per topic over its partitions, largest first', () => {
    const readings: TargetReading[] = [
      { name: 'scorer', samples: scorer(0, [3, 4, 0]) },
      {
        name: 'sink',
        samples: parseMetricsText(
          'telltale_kafka_consumer_lag{topic="events.clean",partition="0"} 20\ntelltale_kafka_consumer_lag{topic="predictions",partition="0"} 1\ntelltale_kafka_consumer_lag{topic="predictions",partition="1"} NaN\n',
        ),
      },
      { name: 'collector', samples: undefined },
    ];
    expect(stageLags(readings)).toEqual([
      { stage: 'sink', topic: 'events.clean', lag: 20 },
      { stage: 'scorer', topic: 'features.v1', lag: 7 },
      { stage: 'sink', topic: 'predictions', lag: 1 },
    ]);
  });

  it('turns counter readings into per-second rates and keeps a series with the total lag', () => {
    const tracker = new RateTracker(60_000, 10_000);
    const first = tracker.add(0, [{ name: 'collector', samples: collector(100) }, { name: 'scorer', samples: scorer(10, [5]) }]);
    expect(first.eventsPerS).toBeUndefined(); // one reading: no rate yet
    expect(first.lag).toBe(5);
    const second = tracker.add(2_000, [{ name: 'collector', samples: collector(300) }, { name: 'scorer', samples: scorer(50, [1, 1]) }]);
    expect(second).toEqual({ atMs: 2_000, eventsPerS: 100, predictionsPerS: 20, lag: 2 });
    expect(tracker.series().map((p) => p.atMs)).toEqual([0, 2_000]);
  });

  it('leaves a rate out while its service does not answer, and forgets points older than the history', () => {
    const tracker = new RateTracker(5_000, 10_000);
    tracker.add(0, [{ name: 'collector', samples: collector(0) }]);
    tracker.add(1_000, [{ name: 'collector', samples: collector(50) }]);
    const down = tracker.add(9_000, [{ name: 'collector', samples: undefined }]);
    // The last readings are kept; the rate spans them, not a fake 0.
    expect(down.eventsPerS).toBe(50);
    expect(down.lag).toBeUndefined();
    expect(tracker.series().map((p) => p.atMs)).toEqual([9_000]);
  });
});
