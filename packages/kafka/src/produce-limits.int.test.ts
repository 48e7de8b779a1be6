import { topicsFor, type DeadLetter, type RawEvent, type Topic } from '@telltale/contracts';
import { AvroProducer } from './avro-producer';
import { RecordTooLargeError } from './kafka-errors';
import { createKafkaClient, type KafkaClient } from './kafka-client';
import { connectStage, type KafkaStage } from './kafka-stage';
import { followTopic } from './topic-follower';
import { id, logger } from './kafka.test-helpers';


function brokers(): string[] {
  const value = process.env.KAFKA_BROKERS;
  if (!value) throw new Error('KAFKA_BROKERS is not set: run integration tests through jest (its global setup starts Kafka)');
  return value.split(',');
}

/** Reads `topic` from the beginning until `count` records arrived (or fails after the deadline). */
async function readRecords<T>(client: KafkaClient, topic: Topic<T>, count: number, timeoutMs = 90_000): Promise<Array<{ key: string | null; value: T }>> {
  const records: Array<{ key: string | null; value: T }> = [];
  const follower = await followTopic(client, topic, (value, key) => records.push({ key, value }), { groupIdPrefix: id('reader') });
  try {
    const deadline = Date.now() + timeoutMs;
    while (records.length < count) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${count} records on ${topic.name}, got ${records.length}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return records;
  } finally {
    await follower.stop();
  }
}

const SMALL_LIMIT = 64 * 1024;

/** Every topic of a fresh prefix, created with max.message.bytes of 64 KiB: as if the cluster were configured so. */
async function createSmallLimitTopics(client: KafkaClient, prefix: string): Promise<void> {
  const admin = client.kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: Object.values(topicsFor(prefix)).map((t) => ({
        topic: t.name,
        numPartitions: 3,
        replicationFactor: 1,
        configEntries: [{ name: 'max.message.bytes', value: String(SMALL_LIMIT) }],
      })),
    });
  } finally {
    await admin.disconnect();
  }
}

const T0 = Date.parse('2024-05-01T10:00:00.000Z');
function rawEvent(messageId: string, userId: string, propertiesBytes: number): RawEvent {
  return {
    messageId,
    type: 'track',
    event: 'Product Clicked',
    userId,
    anonymousId: null,
    timestamp: T0,
    sentAt: null,
    receivedAt: T0,
    properties: JSON.stringify({ note: 'x'.repeat(propertiesBytes) }),
    context: '{}',
    source: 'http',
  };
}

describe('produce requests against a topic with a 64 KiB max.message.bytes', () => {
  const prefix = `${id('limits')}.`;
  const topics = topicsFor(prefix);
  // Raw events written to another of the prefix's topics, so each test reads only its own records.
  const rawEventsIn = (topic: Topic<unknown>): Topic<RawEvent> => ({ ...topics.rawEvents, name: topic.name });
  let client: KafkaClient;
  let stage: KafkaStage;
  let produceRequests = 0;

  beforeAll(async () => {
    client = createKafkaClient({ brokers: brokers(), clientId: id('client') }, logger);
    await createSmallLimitTopics(client, prefix);
    stage = await connectStage({
      stage: 'limits-test',
      brokers: brokers(),
      topicPrefix: prefix,
      logger,
      producer: { onProduceRequest: () => (produceRequests += 1) },
    });
  });

  afterAll(async () => {
    await stage.producer.disconnect();
  });

  it('learns the limit on connect', () => {
    expect(stage.producer.requestBudget).toBe(SMALL_LIMIT - 1024);
  });

  it('sends several MB given in one call as many requests, every record arriving once, in order per key', async () => {
    const users = ['ann', 'bob', 'cem', 'dia', 'eli'];
    const events = Array.from({ length: 3000 }, (_, i) => rawEvent(`m-${i}`, users[i % users.length]!, 2000));
    const requestsBefore = produceRequests;
    await stage.producer.send(
      topics.rawEvents,
      events.map((e) => ({ key: e.userId, value: e })),
    );
    // ~6 MB through 63 KiB requests.
    expect(produceRequests - requestsBefore).toBeGreaterThanOrEqual(90);

    const received = await readRecords(client, topics.rawEvents, events.length);
    expect(received).toHaveLength(events.length);
    for (const user of users) {
      const sent = events.filter((e) => e.userId === user).map((e) => e.messageId);
      expect(received.filter((r) => r.key === user).map((r) => r.value.messageId)).toEqual(sent);
    }
  }, 90_000);

  it('leaves out a record that can never fit, sends its neighbours, and the dead letter carries it cut to fit', async () => {
    const records = [rawEvent('small-1', 'fay', 100), rawEvent('huge', 'fay', 100_000), rawEvent('small-2', 'fay', 100)].map((e) => ({
      key: e.userId,
      value: e,
    }));
    const oversize = await stage.producer.sendFitting(rawEventsIn(topics.cleanEvents), records);
    expect(oversize).toHaveLength(1);
    expect(oversize[0]).toMatchObject({ index: 1, topic: topics.cleanEvents.name });
    expect(oversize[0]!.reason).toMatch(new RegExp(`^record of \\d+ bytes exceeds the \\d+-byte limit of topic ${topics.cleanEvents.name.replace(/\./g, '\\.')}$`));

    const hugeBytes = topics.rawEvents.codec.encode(records[1]!.value);
    await stage.deadLetters.publish([{ reason: oversize[0]!.reason, payload: hugeBytes, key: 'fay', source: { topic: topics.rawEvents.name, partition: 0, offset: '7' } }]);

    const [dead] = await readRecords<DeadLetter>(client, topics.deadLetters, 1);
    expect(dead!.value).toMatchObject({ stage: 'limits-test', key: 'fay', sourceTopic: topics.rawEvents.name, sourceOffset: 7 });
    expect(dead!.value.reason).toBe(`${oversize[0]!.reason} (payload truncated from ${hugeBytes.length} bytes to fit the topic's limit)`);
    expect(dead!.value.payload.length).toBeGreaterThan(SMALL_LIMIT / 2);
    expect(dead!.value.payload.length).toBeLessThan(SMALL_LIMIT);
    expect(Buffer.compare(dead!.value.payload, hugeBytes.subarray(0, dead!.value.payload.length))).toBe(0);

    // The neighbours went through.
    const neighbours = await readRecords(client, rawEventsIn(topics.cleanEvents), 2);
    expect(neighbours.map((r) => r.value.messageId)).toEqual(['small-1', 'small-2']);
  }, 60_000);

  it('refuses a whole `send` call holding a record that can never fit, as not retriable', async () => {
    const call = stage.producer.send(rawEventsIn(topics.predictions), [
      { key: 'gus', value: rawEvent('ok', 'gus', 10) },
      { key: 'gus', value: rawEvent('huge', 'gus', 100_000) },
    ]);
    await expect(call).rejects.toBeInstanceOf(RecordTooLargeError);
    await expect(call).rejects.toMatchObject({ retriable: false, records: [expect.objectContaining({ index: 1 })] });
  });

  it('splits further when the broker refuses a request that a too-large maxRequestBytes let through', async () => {
    // A budget of 1 MB on 64 KiB topics: the broker refuses, the producer halves until requests pass.
    const overconfident = new AvroProducer(client, { maxRequestBytes: 1_000_000, lingerMs: 0 });
    await overconfident.connect();
    try {
      const events = Array.from({ length: 200 }, (_, i) => rawEvent(`split-${i}`, 'hal', 5000));
      const oversize = await overconfident.sendFitting(
        rawEventsIn(topics.features),
        [...events, rawEvent('too-big-for-the-broker', 'hal', 80_000)].map((e) => ({ key: e.userId, value: e })),
      );
      expect(oversize).toEqual([expect.objectContaining({ index: 200, reason: expect.stringMatching(/refused by the broker/) })]);
      const received = await readRecords(client, rawEventsIn(topics.features), events.length);
      expect(received.map((r) => r.value.messageId)).toEqual(events.map((e) => e.messageId));
    } finally {
      await overconfident.disconnect();
    }
  }, 60_000);
});
