import { topicsFor, type RawEvent } from '@telltale/contracts';
import type { AvroProducer, KafkaClient } from '@telltale/kafka';
import { startService, type ServiceHandle } from '@telltale/runtime';
import { eventually, readTopicUntil, testId, testStage, testLogger } from '@telltale/testing';
import type { EnricherConfig } from './enricher.config';
import { enricherService } from './enricher.service';
import { rawEvent, T0 } from './raw-event.fixture';

const raw = (messageId: string, overrides: Partial<RawEvent> = {}): RawEvent => rawEvent(messageId, 'dora', overrides);

describe('enricher against a real broker', () => {
  const prefix = `${testId('enricher')}.`;
  const topics = topicsFor(prefix);
  let kafka: KafkaClient;
  let producer: AvroProducer;
  let enricher: ServiceHandle<EnricherConfig>;

  beforeAll(async () => {
    ({ client: kafka, producer } = await testStage(prefix));
    enricher = await startService(enricherService, {
      env: { KAFKA_BROKERS: process.env.KAFKA_BROKERS, TOPIC_PREFIX: prefix, ENRICHER_GROUP_ID: testId('group'), ADMIN_PORT: '0' },
      logger: testLogger(),
    });
  });

  afterAll(async () => {
    await enricher.stop();
    await producer.disconnect();
  });

  it('cleans, de-duplicates, sessionises, extracts features and dead-letters incomplete records', async () => {
    await producer.send(topics.rawEvents, [
      { key: 'dora', value: raw('e-1') },
      { key: 'dora', value: raw('e-1') }, // client retry: same messageId
      { key: 'dora', value: raw('e-2', { event: 'Order Completed', properties: '{"revenue":"lots"}' }) },
      { key: 'dora', value: raw('e-3', { event: 'Product Added', timestamp: T0 + 5000, properties: '{"productId":"p","price":4,"quantity":2}' }) },
    ]);
    // Bytes that are not Avro at all, from a misbehaving producer.
    await producer.sendEncoded(topics.rawEvents.name, [{ key: 'dora', value: Buffer.from('{"not":"avro"}') }]);

    const clean = await readTopicUntil(kafka, topics.cleanEvents, (r) => r.length >= 2);
    expect(clean.map((r) => r.value.messageId)).toEqual(['e-1', 'e-3']);
    expect(clean[1]!.value).toMatchObject({ kind: 'add_to_cart', userKey: 'dora', hourOfDay: 10, dayOfWeek: 3, price: 4, quantity: 2 });
    expect(clean[1]!.value.sessionId).toBe(clean[0]!.value.sessionId);

    const features = await readTopicUntil(kafka, topics.features, (r) => r.length >= 2);
    expect(features[1]).toMatchObject({
      key: 'dora',
      value: { messageId: 'e-3', eventKind: 'add_to_cart', sessionId: clean[0]!.value.sessionId },
    });
    expect(features[1]!.value.features).toMatchObject({ session_events: 2, session_clicks: 1, session_add_to_carts: 1, session_cart_value: 8, session_duration_s: 5 });

    const dlq = await readTopicUntil(kafka, topics.deadLetters, (r) => r.length >= 2);
    const reasons = dlq.map((r) => r.value);
    expect(reasons).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ stage: 'enricher', field: 'properties.revenue', reason: 'expected a number, got "lots"', sourceTopic: topics.rawEvents.name }),
        expect.objectContaining({ stage: 'enricher', field: null, reason: expect.stringMatching(/single-object/) }),
      ]),
    );
    const incomplete = reasons.find((r) => r.field === 'properties.revenue')!;
    expect(topics.rawEvents.codec.decode(incomplete.payload).messageId).toBe('e-2');

    // Consumer metrics: 4 decodable records processed and committed, 1 undecodable, nothing left behind.
    const topic = topics.rawEvents.name;
    // The counters move once the batch is committed, which may be just after its outputs are readable.
    const metrics = await eventually(async () => {
      const text = await (await fetch(`http://127.0.0.1:${enricher.adminPort}/metrics`)).text();
      return text.includes(`telltale_kafka_consumed_records_total{topic="${topic}",service="enricher"} 4`) ? text : undefined;
    }, 'the consumed-records counter');
    expect(metrics).toContain(`telltale_kafka_consumed_records_total{topic="${topic}",service="enricher"} 4`);
    expect(metrics).toContain(`telltale_kafka_undecodable_records_total{topic="${topic}",service="enricher"} 1`);
    expect(metrics).toMatch(new RegExp(`telltale_kafka_consumer_lag\\{topic="${topic.replace(/\./g, '\\.')}",partition="\\d",service="enricher"\\} 0`));
  });
});
