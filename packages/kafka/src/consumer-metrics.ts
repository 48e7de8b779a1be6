import { Counter, Gauge, Histogram, type Registry } from '@telltale/runtime';

// NOTE: metrics are looked up before they are created: a process may run a BatchConsumer and a topic follower
// (the scorer) on one registry, and prom-client refuses a second metric of the same name.
function counter<L extends string>(registry: Registry, name: string, help: string, labelNames: L[]): Counter<L> {
  return (registry.getSingleMetric(name) as Counter<L> | undefined) ?? new Counter({ name, help, labelNames, registers: [registry] });
}

function gauge<L extends string>(registry: Registry, name: string, help: string, labelNames: L[]): Gauge<L> {
  return (registry.getSingleMetric(name) as Gauge<L> | undefined) ?? new Gauge({ name, help, labelNames, registers: [registry] });
}

/** kafkajs consumer crashes; restart="false" means the consumer is gone and the process must be restarted. */
export function crashCounter(registry: Registry): Counter<'group' | 'restart'> {
  return counter(registry, 'telltale_kafka_consumer_crashes_total', 'Consumer crashes, by whether kafkajs restarts the consumer', ['group', 'restart']);
}

function histogram<L extends string>(registry: Registry, name: string, help: string, labelNames: L[], buckets: number[]): Histogram<L> {
  return (registry.getSingleMetric(name) as Histogram<L> | undefined) ?? new Histogram({ name, help, labelNames, buckets, registers: [registry] });
}

export interface ConsumerMetrics {
  consumed: Counter<'topic'>;
  undecodable: Counter<'topic'>;
  lag: Gauge<'topic' | 'partition'>;
  crashes: Counter<'group' | 'restart'>;
  /** Seconds from handing a chunk to its handler to its committed offset. */
  chunkSeconds: Histogram<'topic'>;
  /** Records that a chunk committed were received by the collector at `receivedAtMs` (the newest of them). */
  committedReceipt(topic: string, receivedAtMs: number): void;
}

export function consumerMetrics(registry: Registry): ConsumerMetrics {
  return {
    consumed: counter(registry, 'telltale_kafka_consumed_records_total', 'Records processed and committed', ['topic']),
    undecodable: counter(
      registry,
      'telltale_kafka_undecodable_records_total',
      'Records that were not valid Avro for their topic (sent to the dead-letter topic)',
      ['topic'],
    ),
    lag: gauge(
      registry,
      'telltale_kafka_consumer_lag',
      'Records between the committed offset and the high watermark, per assigned partition (refreshed periodically, so a stalled consumer shows)',
      ['topic', 'partition'],
    ),
    crashes: crashCounter(registry),
    chunkSeconds: histogram(
      registry,
      'telltale_kafka_chunk_processing_seconds',
      'Time to process a chunk of consumed records: decode, handler (outputs acknowledged, rows inserted), dead letters and the offset commit',
      ['topic'],
      [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    ),
    committedReceipt: receiptClock(registry),
  };
}

/** Per registry, per topic: the newest collector receipt time (ms) among the committed records. */
const newestReceipts = new WeakMap<Registry, Map<string, number>>();

/**
 * End-to-end lag: now minus the collector's receipt time of the newest record this stage committed, computed when
 * scraped. It keeps growing while nothing new is committed, so an ingestion stop (or a stage stuck upstream) shows
 * within a scrape, where the offset lag stays 0 because nothing arrives. The newest over the topic's partitions:
 * an idle partition (no user hashed to it lately) must not look stuck; the offset lag per partition covers that.
 */
function receiptClock(registry: Registry): (topic: string, receivedAtMs: number) => void {
  let newest = newestReceipts.get(registry);
  if (!newest) {
    const byTopic = new Map<string, number>();
    newest = byTopic;
    newestReceipts.set(registry, byTopic);
    new Gauge({
      name: 'telltale_kafka_end_to_end_lag_seconds',
      help: 'Now minus the collector receipt time (receivedAt) of the newest record this stage committed, per consumed topic',
      labelNames: ['topic'],
      registers: [registry],
      collect() {
        const now = Date.now();
        for (const [topic, ms] of byTopic) this.set({ topic }, Math.max(0, now - ms) / 1000);
      },
    });
    new Gauge({
      name: 'telltale_kafka_last_committed_receipt_timestamp_seconds',
      help: 'Collector receipt time (receivedAt) of the newest record this stage committed, Unix seconds, per consumed topic',
      labelNames: ['topic'],
      registers: [registry],
      collect() {
        for (const [topic, ms] of byTopic) this.set({ topic }, ms / 1000);
      },
    });
  }
  const byTopic = newest;
  return (topic, receivedAtMs) => {
    if (receivedAtMs > (byTopic.get(topic) ?? 0)) byTopic.set(topic, receivedAtMs);
  };
}

/**
 * A dead letter's reason as a metric label: the reason's fixed part (numbers replaced, cut at the first ':' that
 * starts the details), so that `why` is countable without a series per distinct message. Reasons are written by
 * our code, but a publisher also caps the distinct labels it makes (see deadLetterCounter).
 */
export function reasonLabel(reason: string): string {
  const head = reason.split(/:\s/, 1)[0] ?? reason;
  return head.replace(/\d+(\.\d+)?/g, 'N').replace(/\s+/g, ' ').trim().slice(0, 100) || 'unknown';
}

export function deadLetterCounter(registry: Registry): Counter<'stage' | 'source_topic' | 'reason'> {
  return counter(
    registry,
    'telltale_dead_letters_total',
    'Records sent to the dead-letter topic (acknowledged), by stage, the topic they came from (none: refused at the collector) and reason class',
    ['stage', 'source_topic', 'reason'],
  );
}

export function producedCounter(registry: Registry): Counter<'topic'> {
  return counter(registry, 'telltale_kafka_produced_records_total', 'Records produced and acknowledged by the broker (acks=all), by topic', ['topic']);
}

/** Requests the stage's Kafka clients sent, by API (Produce, Fetch, EndTxn, …): the broker's work follows their number. */
export function requestsCounter(registry: Registry): Counter<'api'> {
  return counter(registry, 'telltale_kafka_requests_total', 'Requests sent to the brokers by this process\'s Kafka clients, by API', ['api']);
}
