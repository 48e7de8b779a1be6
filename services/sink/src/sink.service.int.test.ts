import { topicsFor, type CleanEvent } from '@telltale/contracts';
import type { AvroProducer, KafkaClient } from '@telltale/kafka';
import { startService, type ServiceHandle } from '@telltale/runtime';
import { NO_CONTEXT_FIELDS, createTestDatabase, eventually, readTopicUntil, testId, testStage, testLogger, type TestDatabase } from '@telltale/testing';
import type { SinkConfig } from './sink.config';
import { sinkService } from './sink.service';

const T0 = Date.parse('2024-05-01T10:00:00.000Z');
const clean = (messageId: string, overrides: Partial<CleanEvent> = {}): CleanEvent => ({
  messageId,
  type: 'track',
  event: 'Order Completed',
  kind: 'purchase',
  userKey: 'erin',
  userId: 'erin',
  anonymousId: null,
  sessionId: 's-1',
  eventTime: T0,
  receivedAt: T0 + 20,
  enrichedAt: T0 + 30,
  hourOfDay: 10,
  dayOfWeek: 3,
  pageUrl: null,
  pagePath: '/checkout',
  referrer: null,
  productId: null,
  category: 'shoes',
  price: null,
  quantity: null,
  revenue: 59.9,
  searchQuery: null,
  properties: '{"revenue":59.9}',
  source: 'shop-web',
  ...NO_CONTEXT_FIELDS,
  ...overrides,
});

describe('sink against a real broker and ClickHouse', () => {
  const prefix = `${testId('sink')}.`;
  const topics = topicsFor(prefix);
  const groupId = testId('group');
  let kafka: KafkaClient;
  let producer: AvroProducer;
  let db: TestDatabase;
  let sink: ServiceHandle<SinkConfig> | undefined;

  const start = () =>
    startService(sinkService, {
      env: {
        KAFKA_BROKERS: process.env.KAFKA_BROKERS,
        TOPIC_PREFIX: prefix,
        CLICKHOUSE_URL: db.settings.url,
        CLICKHOUSE_DATABASE: db.settings.database,
        SINK_GROUP_ID: groupId,
        SINK_MAX_WAIT_MS: '100',
        ADMIN_PORT: '0',
      },
      logger: testLogger(),
    });

  beforeAll(async () => {
    db = await createTestDatabase();
    ({ client: kafka, producer } = await testStage(prefix));
  });

  afterAll(async () => {
    await sink?.stop();
    await producer.disconnect();
    await db.drop();
  });

  const count = async (table: string) => {
    const rs = await db.client.query({ query: `SELECT count() AS n FROM ${table}`, format: 'JSONEachRow' });
    return Number((await rs.json<{ n: string }>())[0]!.n);
  };

  it('writes events, features and predictions with their values, and dead-letters what cannot be stored', async () => {
    sink = await start();
    await producer.send(topics.cleanEvents, [
      { key: 'erin', value: clean('s-1') },
      { key: 'erin', value: clean('s-bad', { eventTime: 9e15 }) },
    ]);
    await producer.send(topics.features, [
      {
        key: 'erin',
        value: { userKey: 'erin', sessionId: 's-1', messageId: 's-1', eventKind: 'purchase', eventTime: T0, computedAt: T0 + 30, receivedAt: T0 + 10, features: { session_events: 3, hour_sin: -0.5 } },
      },
    ]);
    await producer.send(topics.predictions, [
      {
        key: 'erin',
        value: { userKey: 'erin', sessionId: 's-1', messageId: 's-1', modelName: 'purchase_propensity', modelVersion: 7, probability: 0.25, eventTime: T0, predictedAt: T0 + 40, receivedAt: T0 + 10 },
      },
    ]);

    await eventually(async () => (await count('events')) === 1 && (await count('session_features')) === 1 && (await count('predictions')) === 1, 'rows in all three tables');

    const [event] = await (
      await db.client.query({
        query: `SELECT message_id, kind, user_key, session_id, toUnixTimestamp64Milli(event_time) AS t, revenue, category, page_path, hour_of_day, day_of_week, source
                FROM events WHERE message_id = {id:String}`,
        query_params: { id: 's-1' },
        format: 'JSONEachRow',
      })
    ).json<Record<string, unknown>>();
    // NOTE: ClickHouse quotes 64-bit integers in JSON by default; Number() reads either form.
    expect({ ...event, t: Number(event!.t) }).toEqual({
      message_id: 's-1',
      kind: 'purchase',
      user_key: 'erin',
      session_id: 's-1',
      t: T0,
      revenue: 59.9,
      category: 'shoes',
      page_path: '/checkout',
      hour_of_day: 10,
      day_of_week: 3,
      source: 'shop-web',
    });
    const [features] = await (await db.client.query({ query: 'SELECT features FROM session_features', format: 'JSONEachRow' })).json<{ features: Record<string, number> }>();
    expect(features!.features).toEqual({ session_events: 3, hour_sin: -0.5 });
    const [prediction] = await (await db.client.query({ query: 'SELECT model_version, probability, toUnixTimestamp64Milli(received_at) AS received FROM predictions', format: 'JSONEachRow' })).json<Record<string, unknown>>();
    expect({ ...prediction, model_version: Number(prediction!.model_version), received: Number(prediction!.received) }).toEqual({ model_version: 7, probability: 0.25, received: T0 + 10 });

    const dlq = await readTopicUntil(kafka, topics.deadLetters, (r) => r.length >= 1);
    expect(dlq[0]!.value).toMatchObject({ stage: 'sink', sourceTopic: topics.cleanEvents.name, reason: expect.stringMatching(/cannot map to a events row/) });
    expect(topics.cleanEvents.codec.decode(dlq[0]!.value.payload).messageId).toBe('s-bad');

    // The sink also stores dead letters in ClickHouse, where they can be counted and inspected.
    const stored = await eventually(async () => {
      const rs = await db.client.query({
        query: 'SELECT stage, source_topic, reason, payload_base64 FROM dead_letters WHERE stage = {stage:String}',
        query_params: { stage: 'sink' },
        format: 'JSONEachRow',
      });
      const rows = await rs.json<{ stage: string; source_topic: string; reason: string; payload_base64: string }>();
      return rows.length > 0 ? rows : undefined;
    }, 'the dead letter in ClickHouse');
    expect(stored[0]).toMatchObject({ stage: 'sink', source_topic: topics.cleanEvents.name, reason: expect.stringMatching(/cannot map to a events row/) });
    expect(topics.cleanEvents.codec.decode(Buffer.from(stored[0]!.payload_base64, 'base64')).messageId).toBe('s-bad');
  });

  it('commits only what was inserted: a restarted sink resumes without losing or re-reading committed rows', async () => {
    await sink!.stop();
    sink = undefined;
    await producer.send(topics.cleanEvents, [{ key: 'erin', value: clean('s-2', { eventTime: T0 + 1000 }) }]);
    sink = await start();
    await eventually(async () => (await count('events')) === 2, 'the event produced while the sink was down');
    // Nothing before the committed offset was inserted twice.
    const rs = await db.client.query({ query: 'SELECT message_id, toUInt8(count()) AS n FROM events GROUP BY message_id ORDER BY message_id', format: 'JSONEachRow' });
    expect(await rs.json()).toEqual([
      { message_id: 's-1', n: 1 },
      { message_id: 's-2', n: 1 },
    ]);
  });
});
