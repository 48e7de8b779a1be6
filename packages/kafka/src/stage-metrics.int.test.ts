// A stage's metrics on a real broker: records in, out and dead-lettered by reason, chunk processing time, and the
// end-to-end lag from the receipt time its subscription names, which keeps growing once nothing newer arrives.
import { type RawEvent } from '@telltale/contracts';
import { createMetricsRegistry, parseMetricsText, type Registry } from '@telltale/runtime';
import { BatchConsumer } from './batch-consumer';
import { connectStage, type KafkaStage } from './kafka-stage';
import { eventually, id, logger } from './kafka.test-helpers';


async function value(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const found = parseMetricsText(await registry.metrics()).filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return found.length === 0 ? undefined : found.reduce((sum, s) => sum + s.value, 0);
}

const rawEvent = (messageId: string, receivedAt: number): RawEvent => ({
  messageId,
  type: 'track',
  event: 'Product Clicked',
  userId: 'ivy',
  anonymousId: null,
  timestamp: receivedAt,
  sentAt: null,
  receivedAt,
  properties: '{}',
  context: '{}',
  source: 'http',
});

describe('stage metrics', () => {
  const prefix = `${id('metrics')}.`;
  const registry = createMetricsRegistry('metrics-test');
  let stage: KafkaStage;
  let consumer: BatchConsumer | undefined;

  beforeAll(async () => {
    stage = await connectStage({ stage: 'metrics-test', brokers: (process.env.KAFKA_BROKERS ?? '').split(','), topicPrefix: prefix, logger, registry });
  });

  afterAll(async () => {
    await consumer?.stop();
    await stage.producer.disconnect();
  });

  test('count records in, dead letters by reason and produced records, time chunks, and age the end-to-end lag', async () => {
    const raw = stage.topics.rawEvents;
    const receivedAt = Date.now() - 10_000;
    await stage.producer.send(raw, [1, 2, 3].map((n) => ({ key: 'ivy', value: rawEvent(`m${n}`, receivedAt + n) })));
    await stage.producer.sendEncoded(raw.name, [{ key: 'ivy', value: Buffer.from('not avro') }]);

    consumer = new BatchConsumer(stage.client, {
      groupId: id('metrics-group'),
      subscriptions: [{ topic: raw, handle: async () => undefined, receivedAt: (e) => e.receivedAt }],
      deadLetters: stage.deadLetters,
      registry,
    });
    await consumer.start();

    await eventually(async () => ((await value(registry, 'telltale_kafka_consumed_records_total', { topic: raw.name })) === 3 ? true : undefined), 'three records committed');
    expect(await value(registry, 'telltale_kafka_undecodable_records_total', { topic: raw.name })).toBe(1);
    const deadLetters = parseMetricsText(await registry.metrics()).filter((s) => s.name === 'telltale_dead_letters_total');
    expect(deadLetters.map((s) => [s.labels.stage, s.labels.source_topic, s.value])).toEqual([['metrics-test', raw.name, 1]]);
    expect(deadLetters[0]!.labels.reason).not.toMatch(/\d/);
    // The test's own produce calls count too: 3 raw events and 1 raw record, then the dead letter.
    expect(await value(registry, 'telltale_kafka_produced_records_total', { topic: stage.topics.deadLetters.name })).toBe(1);
    expect(await value(registry, 'telltale_kafka_produced_records_total', { topic: raw.name })).toBe(4);
    expect(await value(registry, 'telltale_kafka_chunk_processing_seconds_count', { topic: raw.name })).toBeGreaterThanOrEqual(1);

    expect(await value(registry, 'telltale_kafka_last_committed_receipt_timestamp_seconds', { topic: raw.name })).toBe((receivedAt + 3) / 1000);
    const lag = (await value(registry, 'telltale_kafka_end_to_end_lag_seconds', { topic: raw.name }))!;
    expect(lag).toBeGreaterThanOrEqual(10);
    // Nothing newer arrives: the lag grows with the clock.
    await eventually(async () => ((await value(registry, 'telltale_kafka_end_to_end_lag_seconds', { topic: raw.name }))! >= lag + 1 ? true : undefined), 'the end-to-end lag to grow by a second');
  }, 120_000);
});
