import { topicsFor, type RawEvent } from '@telltale/contracts';
import { createMetricsRegistry, type Registry } from '@telltale/runtime';
import { BatchConsumer, type ConsumedRecord } from './batch-consumer';
import { connectStage, type KafkaStage } from './kafka-stage';
import { consumerLag } from './topic-admin';
import { eventually, id, logger } from './kafka.test-helpers';


const T0 = Date.parse('2024-05-01T10:00:00.000Z');
const rawEvent = (messageId: string): RawEvent => ({
  messageId,
  type: 'track',
  event: 'Product Clicked',
  userId: 'ivy',
  anonymousId: null,
  timestamp: T0,
  sentAt: null,
  receivedAt: T0,
  properties: '{}',
  context: '{}',
  source: 'http',
});

/** The value of one sample of `name` whose labels include every one of `labels`, from the registry's text. */
async function sample(registry: Registry, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const text = await registry.metrics();
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('BatchConsumer against a real broker', () => {
  const prefix = `${id('consumer')}.`;
  const topics = topicsFor(prefix);
  let stage: KafkaStage;
  const consumers: BatchConsumer[] = [];

  beforeAll(async () => {
    stage = await connectStage({ stage: 'consumer-test', brokers: (process.env.KAFKA_BROKERS ?? '').split(','), topicPrefix: prefix, logger });
  });

  afterAll(async () => {
    for (const c of consumers) await c.stop();
    await stage.producer.disconnect();
  });

  function consumer(
    handle: (records: Array<ConsumedRecord<RawEvent>>) => Promise<void>,
    options: { registry?: Registry; onFatal?: (err: Error) => void; lagRefreshMs?: number; topic?: typeof topics.rawEvents; sessionTimeoutMs?: number; commitIntervalMs?: number; groupId?: string } = {},
  ) {
    const c = new BatchConsumer(stage.client, {
      groupId: options.groupId ?? id('group'),
      commitIntervalMs: options.commitIntervalMs,
      subscriptions: [{ topic: options.topic ?? topics.rawEvents, handle }],
      deadLetters: stage.deadLetters,
      maxBatchRecords: 100,
      registry: options.registry,
      onFatal: options.onFatal,
      lagRefreshMs: options.lagRefreshMs,
      sessionTimeoutMs: options.sessionTimeoutMs,
    });
    consumers.push(c);
    return c;
  }

  it('hands a fetched batch over in chunks of at most maxBatchRecords, each record once, in order', async () => {
    const events = Array.from({ length: 450 }, (_, i) => rawEvent(`c-${i}`));
    await stage.producer.send(topics.rawEvents, events.map((e) => ({ key: 'ivy', value: e })));
    const chunks: string[][] = [];
    await consumer(async (records) => void chunks.push(records.map((r) => r.value.messageId))).start();

    await eventually(() => (chunks.flat().length >= events.length ? true : undefined), 'every record handled');
    expect(chunks.flat()).toEqual(events.map((e) => e.messageId));
    expect(Math.max(...chunks.map((c) => c.length))).toBeLessThanOrEqual(100);
  }, 60_000);

  it('with commitIntervalMs, commits what it handled on its interval or when it stops, never before the handler is done', async () => {
    const topic = { ...topics.rawEvents, name: topics.identityLinks.name };
    await stage.producer.send(topic, Array.from({ length: 40 }, (_, i) => ({ key: 'ivy', value: rawEvent(`d-${i}`) })));
    const groupId = id('group');
    let handled = 0;
    // An interval no test outlives: only the stop can commit.
    const c = consumer(async (records) => void (handled += records.length), { topic, groupId, commitIntervalMs: 600_000 });
    await c.start();
    await eventually(() => (handled >= 40 ? true : undefined), 'every record handled');
    expect(await consumerLag(stage.client, groupId, topic.name)).toBe(40); // handled, not committed yet
    await c.stop();
    expect(await consumerLag(stage.client, groupId, topic.name)).toBe(0);
  }, 60_000);

  it('shows lag while the handler is stuck, and zero once it is done', async () => {
    const topic = { ...topics.rawEvents, name: topics.cleanEvents.name };
    await stage.producer.send(topic, Array.from({ length: 30 }, (_, i) => ({ key: 'ivy', value: rawEvent(`l-${i}`) })));
    const registry = createMetricsRegistry('consumer-test');
    let release!: () => void;
    const stuck = new Promise<void>((resolve) => (release = resolve));
    await consumer(() => stuck, { registry, lagRefreshMs: 100, topic }).start();

    // Nothing is committed while the handler waits: the periodic refresh is what shows the lag.
    const lagWhileStuck = await eventually(async () => {
      const text = await registry.metrics();
      const lines = text.split('\n').filter((l) => l.startsWith('telltale_kafka_consumer_lag{') && l.includes(`topic="${topic.name}"`));
      const total = lines.reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
      return lines.length === 3 && total === 30 ? total : undefined;
    }, 'lag of 30 on the stuck consumer');
    expect(lagWhileStuck).toBe(30);

    release();
    await eventually(async () => {
      const text = await registry.metrics();
      const lines = text.split('\n').filter((l) => l.startsWith('telltale_kafka_consumer_lag{') && l.includes(`topic="${topic.name}"`));
      return lines.length === 3 && lines.every((l) => l.endsWith(' 0')) ? true : undefined;
    }, 'lag of 0 once the handler is done');
  }, 90_000);

  it('commits past transaction markers: lag reaches 0 on a topic written in transactions', async () => {
    const topic = { ...topics.rawEvents, name: topics.features.name };
    // Plain kafkajs transactions: each commit leaves a marker after the records, which no handler ever sees.
    const producer = stage.client.kafka.producer({ transactionalId: id('tx'), idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      for (let t = 0; t < 3; t += 1) {
        const tx = await producer.transaction();
        await tx.send({ topic: topic.name, messages: Array.from({ length: 10 }, (_, i) => ({ key: `k-${i}`, value: topic.codec.encode(rawEvent(`tx-${t}-${i}`)) })) });
        await tx.commit();
      }
    } finally {
      await producer.disconnect();
    }
    const registry = createMetricsRegistry('consumer-test');
    const seen: string[] = [];
    await consumer(async (records) => void seen.push(...records.map((r) => r.value.messageId)), { registry, lagRefreshMs: 100, topic }).start();
    await eventually(() => (seen.length === 30 ? true : undefined), '30 records handled');
    await eventually(async () => {
      const text = await registry.metrics();
      const lines = text.split('\n').filter((l) => l.startsWith('telltale_kafka_consumer_lag{') && l.includes(`topic="${topic.name}"`));
      return lines.length === 3 && lines.every((l) => l.endsWith(' 0')) ? true : undefined;
    }, 'lag of 0 on every partition (markers committed past)');
    expect(new Set(seen).size).toBe(30);
  }, 90_000);

  it('calls onFatal, reports unhealthy and counts the crash when kafkajs gives up on a non-retriable error', async () => {
    const topic = { ...topics.rawEvents, name: topics.features.name };
    await stage.producer.send(topic, [{ key: 'ivy', value: rawEvent('poison') }]);
    const registry = createMetricsRegistry('consumer-test');
    let fatal!: (err: Error) => void;
    const fatalError = new Promise<Error>((resolve) => (fatal = resolve));
    const c = consumer(
      async () => {
        throw Object.assign(new Error('cannot ever process this'), { retriable: false });
      },
      { registry, onFatal: fatal, topic },
    );
    await c.start();

    const err = await fatalError;
    expect(err.message).toMatch(/cannot ever process this/);
    expect(c.health()).toEqual({ ok: false, detail: expect.stringMatching(/^consumer stopped for good: .*cannot ever process this/) });
    expect(await sample(registry, 'telltale_kafka_consumer_crashes_total', { restart: 'false' })).toBe(1);
  }, 60_000);

  it('stays in the group through a handler slower than the session timeout (a stalled dependency): no crash, each record committed once', async () => {
    const topic = { ...topics.rawEvents, name: topics.predictions.name };
    await stage.producer.send(topic, [1, 2, 3].map((i) => ({ key: 'ivy', value: rawEvent(`slow-${i}`) })));
    const registry = createMetricsRegistry('consumer-test');
    const seen: string[] = [];
    let fatal: Error | undefined;
    let first = true;
    const c = consumer(
      async (records) => {
        if (first) {
          first = false;
          // The fault: the handler waits well past the 6 s session timeout, as the sink does when ClickHouse hangs.
          await new Promise((r) => setTimeout(r, 10_000));
        }
        seen.push(...records.map((r) => r.value.messageId));
      },
      { registry, topic, sessionTimeoutMs: 6_000, lagRefreshMs: 500, onFatal: (err) => (fatal = err) },
    );
    await c.start();
    await eventually(async () => {
      const text = await registry.metrics();
      const lines = text.split('\n').filter((l) => l.startsWith('telltale_kafka_consumer_lag{') && l.includes(`topic="${topic.name}"`));
      return seen.length >= 3 && lines.length > 0 && lines.every((l) => l.endsWith(' 0')) ? true : undefined;
    }, 'the three records handled and committed');
    expect(seen).toEqual(['slow-1', 'slow-2', 'slow-3']);
    expect(fatal).toBeUndefined();
    expect(c.health()).toEqual({ ok: true });
    expect(await sample(registry, 'telltale_kafka_consumer_crashes_total', {})).toBeUndefined();
  }, 90_000);
});
