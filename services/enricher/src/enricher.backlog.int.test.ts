import { topicsFor, type RawEvent } from '@telltale/contracts';
import { consumerLag, ensureTopics, type AvroProducer, type KafkaClient } from '@telltale/kafka';
import { startService, type ServiceHandle } from '@telltale/runtime';
import { eventually, readTopicToEnd, testId, testKafka, testLogger, testStage } from '@telltale/testing';
import type { EnricherConfig } from './enricher.config';
import { enricherService } from './enricher.service';
import { T0 } from './raw-event.fixture';


// The incident: a backlog made the enricher produce a whole fetched batch (up to 1 MiB per partition, clean events
// larger than raw ones, plus feature vectors) as one request, over the broker's limit; the consumer crashed and the
// process stayed up doing nothing. Here the topics accept 64 KiB, so any request sized by the batch would fail.
describe('enricher on a backlog much larger than the topics accept in one request', () => {
  const prefix = `${testId('enricher_backlog')}.`;
  const topics = topicsFor(prefix);
  const groupId = testId('group');
  let kafka: KafkaClient;
  let producer: AvroProducer;
  let enricher: ServiceHandle<EnricherConfig> | undefined;

  beforeAll(async () => {
    await ensureTopics(testKafka(), Object.values(topics), { config: { 'max.message.bytes': String(64 * 1024) } });
    ({ client: kafka, producer } = await testStage(prefix));
  });

  afterAll(async () => {
    await enricher?.stop();
    await producer.disconnect();
  });

  it('enriches every event and stays healthy', async () => {
    const events: RawEvent[] = Array.from({ length: 4000 }, (_, i) => ({
      messageId: `bl-${i}`,
      type: 'track',
      event: 'Product Clicked',
      userId: `user-${i % 40}`,
      anonymousId: null,
      timestamp: T0 + i * 1000,
      sentAt: null,
      receivedAt: T0 + i * 1000 + 10,
      properties: JSON.stringify({ description: 'd'.repeat(1500) }),
      context: '{}',
      source: 'http',
    }));
    // The backlog is there before the enricher starts, so its first fetches are as full as they get.
    await producer.send(topics.rawEvents, events.map((e) => ({ key: e.userId, value: e })));

    enricher = await startService(enricherService, {
      env: { KAFKA_BROKERS: process.env.KAFKA_BROKERS, TOPIC_PREFIX: prefix, ENRICHER_GROUP_ID: groupId, ADMIN_PORT: '0' },
      logger: testLogger(),
    });
    await eventually(async () => (await consumerLag(kafka, groupId, topics.rawEvents.name)) === 0, 'the enricher to commit the backlog', 110_000);

    const health = await fetch(`http://127.0.0.1:${enricher.adminPort}/healthz`);
    expect(health.status).toBe(200);
    const clean = await readTopicToEnd(kafka, topics.cleanEvents);
    expect(new Set(clean.map((e) => e.messageId))).toEqual(new Set(events.map((e) => e.messageId)));
    // Each user's events in one session, counted once each: the last one is its 100th.
    const features = await readTopicToEnd(kafka, topics.features);
    const last = features.find((f) => f.messageId === 'bl-3999');
    expect(last?.features).toMatchObject({ session_events: 100, session_clicks: 100 });
  }, 120_000);
});
