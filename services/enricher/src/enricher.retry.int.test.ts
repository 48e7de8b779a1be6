import { topicsFor, type CleanEvent, type FeatureVector } from '@telltale/contracts';
import { consumerLag, type AvroProducer, type KafkaClient } from '@telltale/kafka';
import { startService, type ServiceHandle } from '@telltale/runtime';
import { eventually, readTopicToEnd, testId, testLogger, testStage } from '@telltale/testing';
import type { EnricherConfig } from './enricher.config';
import { createEnricherService } from './enricher.service';
import { rawEvent, T0 } from './raw-event.fixture';


describe('enricher when a send fails', () => {
  const prefix = `${testId('enricher_retry')}.`;
  const topics = topicsFor(prefix);
  const groupId = testId('group');
  let kafka: KafkaClient;
  let producer: AvroProducer;
  let enricher: ServiceHandle<EnricherConfig>;
  let injectedFailures = 0;

  beforeAll(async () => {
    ({ client: kafka, producer } = await testStage(prefix));
    // The first chunk's transaction fails like a broker that is briefly unavailable; the rest go through.
    const service = createEnricherService({
      beforeCommit: (records) => {
        if (records.some((r) => r.topic === topics.cleanEvents.name) && injectedFailures === 0) {
          injectedFailures += 1;
          throw Object.assign(new Error('injected: leader not available'), { retriable: true });
        }
      },
    });
    enricher = await startService(service, {
      env: { KAFKA_BROKERS: process.env.KAFKA_BROKERS, TOPIC_PREFIX: prefix, ENRICHER_GROUP_ID: groupId, ADMIN_PORT: '0' },
      logger: testLogger(),
    });
  });

  afterAll(async () => {
    await enricher.stop();
    await producer.disconnect();
  });

  it('produces every event exactly once on events.clean and features, with the session counters of a single try', async () => {
    const sent = [
      rawEvent('a-1', 'ann'),
      rawEvent('a-1', 'ann'), // client retry: same messageId, in the same batch
      rawEvent('a-2', 'ann', { timestamp: T0 + 5000, event: 'Product Added', properties: '{"productId":"p","price":4,"quantity":2}' }),
      rawEvent('b-1', 'ben'),
      rawEvent('b-2', 'ben', { timestamp: T0 + 45 * 60_000, receivedAt: T0 + 45 * 60_000 + 10 }), // after 30 min of inactivity: a new session
      rawEvent('b-3', 'ben', { event: 'Order Completed', properties: '{"revenue":"lots"}' }), // not an amount: dead-lettered
    ];
    await producer.send(topics.rawEvents, sent.map((value) => ({ key: value.userId, value })));

    // Every raw event processed and its offset committed: all outputs were acknowledged before that.
    await eventually(async () => (await consumerLag(kafka, groupId, topics.rawEvents.name)) === 0, 'the enricher to commit every raw event');
    expect(injectedFailures).toBe(1);

    const clean: CleanEvent[] = await readTopicToEnd(kafka, topics.cleanEvents);
    expect(clean.map((e) => e.messageId).sort()).toEqual(['a-1', 'a-2', 'b-1', 'b-2']);

    // Nothing of the failed try is visible (its transaction never committed): each event has one feature vector.
    const features: FeatureVector[] = await readTopicToEnd(kafka, topics.features);
    const byMessage = new Map<string, FeatureVector[]>();
    for (const f of features) byMessage.set(f.messageId, [...(byMessage.get(f.messageId) ?? []), f]);
    expect([...byMessage.keys()].sort()).toEqual(['a-1', 'a-2', 'b-1', 'b-2']);
    for (const copies of byMessage.values()) expect(copies).toHaveLength(1);

    const vector = (id: string) => byMessage.get(id)![0]!;
    const cleanOf = (id: string) => clean.find((e) => e.messageId === id)!;
    expect(vector('a-2').features).toMatchObject({ session_events: 2, session_clicks: 1, session_add_to_carts: 1, session_cart_value: 8, session_duration_s: 5 });
    expect(cleanOf('a-2').sessionId).toBe(cleanOf('a-1').sessionId);
    expect(vector('b-2').features).toMatchObject({ session_events: 1, user_prior_sessions: 1 });
    expect(cleanOf('b-2').sessionId).not.toBe(cleanOf('b-1').sessionId);
    expect(vector('a-1').sessionId).toBe(cleanOf('a-1').sessionId);
  }, 90_000);
});
