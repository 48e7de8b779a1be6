import { CounterRate, sumOf, type MetricSample } from '@telltale/runtime';

// What the live view derives from the services' /metrics: rates of counters between readings, and the consumer lag
// each stage reports. Pure: readings in, numbers out; the clock is passed in.

/** One reading of one service's /metrics; samples undefined when it did not answer. */
export interface TargetReading {
  name: string;
  samples: MetricSample[] | undefined;
}

export interface StageLag {
  stage: string;
  topic: string;
  /** Records behind the high watermark, summed over the stage's assigned partitions. */
  lag: number;
}

/**
 * Consumer lag per stage and topic (telltale_kafka_consumer_lag, one gauge per partition), largest first; topic names
 * without the pipeline's prefix.
 */
export function stageLags(readings: TargetReading[], topicPrefix = ''): StageLag[] {
  const lags: StageLag[] = [];
  for (const { name, samples } of readings) {
    const byTopic = new Map<string, number>();
    for (const s of samples ?? []) {
      if (s.name !== 'telltale_kafka_consumer_lag' || !Number.isFinite(s.value)) continue;
      const label = s.labels.topic ?? '';
      const topic = topicPrefix !== '' && label.startsWith(topicPrefix) ? label.slice(topicPrefix.length) : label;
      byTopic.set(topic, (byTopic.get(topic) ?? 0) + s.value);
    }
    for (const [topic, lag] of byTopic) lags.push({ stage: name, topic, lag });
  }
  return lags.sort((a, b) => b.lag - a.lag || a.stage.localeCompare(b.stage));
}

/** The counters whose rates the page shows: [stage, metric]. */
export const RATE_COUNTERS = {
  eventsPerS: ['collector', 'telltale_collector_events_accepted_total'],
  enrichedPerS: ['enricher', 'telltale_enricher_events_total'],
  rowsInsertedPerS: ['sink', 'telltale_sink_rows_inserted_total'],
  predictionsPerS: ['scorer', 'telltale_scorer_predictions_total'],
} as const;

export type RateName = keyof typeof RATE_COUNTERS;
export type Rates = Partial<Record<RateName, number>>;

/** One point of the page's time series. */
export interface RatePoint extends Rates {
  atMs: number;
  /** Total lag over every stage; undefined when no stage reported one. */
  lag?: number;
}

/**
 * Rates over a sliding window, and the last `historyMs` of them as a series a chart can draw from the first paint
 * (a page opened late still sees the last minutes).
 */
export class RateTracker {
  private readonly rates = new Map<RateName, CounterRate>();
  private readonly history: RatePoint[] = [];

  constructor(
    private readonly historyMs = 10 * 60_000,
    windowMs = 6_000,
    private readonly topicPrefix = '',
  ) {
    for (const name of Object.keys(RATE_COUNTERS) as RateName[]) this.rates.set(name, new CounterRate(windowMs));
  }

  add(atMs: number, readings: TargetReading[]): RatePoint {
    const point: RatePoint = { atMs };
    for (const [name, [stage, metric]] of Object.entries(RATE_COUNTERS) as Array<[RateName, readonly [string, string]]>) {
      const rate = this.rates.get(name)!;
      rate.add(atMs, sumOf(readings.find((r) => r.name === stage)?.samples, metric));
      const perSecond = rate.perSecond();
      if (perSecond !== undefined) point[name] = perSecond;
    }
    const lags = stageLags(readings, this.topicPrefix);
    if (lags.length > 0) point.lag = lags.reduce((sum, l) => sum + l.lag, 0);
    this.history.push(point);
    while (this.history.length > 0 && this.history[0]!.atMs < atMs - this.historyMs) this.history.shift();
    return point;
  }

  series(): RatePoint[] {
    return [...this.history];
  }
}
