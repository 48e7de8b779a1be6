import { topicsFor } from '@telltale/contracts';
import { consumerLag, type AvroProducer, type KafkaClient } from '@telltale/kafka';
import { startService } from '@telltale/runtime';
import { eventually, readTopicToEnd, testId, testLogger, testStage } from '@telltale/testing';
import { enricherService } from './enricher.service';
import { rawEvent } from './raw-event.fixture';

describe('enricher stopping while chunks it handed over wait for their transaction', () => {
  const prefix = `${testId('enricher_stop')}.`;
  const topics = topicsFor(prefix);
  const groupId = testId('group');
  let kafka: KafkaClient;
  let producer: AvroProducer;

  beforeAll(async () => {
    ({ client: kafka, producer } = await testStage(prefix));
  });

  afterAll(async () => {
    await producer.disconnect();
  });

  it('commits them before leaving the group: a clean stop, nothing left uncommitted, every event once', async () => {
    // After the first transaction (at once, the batcher being idle), the next may start only 10 minutes later: the
    // second chunk is handed over and waits, and only the stop can commit it.
    const enricher = await startService(enricherService, {
      env: { KAFKA_BROKERS: process.env.KAFKA_BROKERS, TOPIC_PREFIX: prefix, ENRICHER_GROUP_ID: groupId, ADMIN_PORT: '0', ENRICHER_COMMIT_INTERVAL_MS: '600000' },
      logger: testLogger(),
    });
    const consumed = async () => {
      const text = await (await fetch(`http://127.0.0.1:${enricher.adminPort}/metrics`)).text();
      return Number(/^telltale_kafka_consumed_records_total\{[^}]*\} (\d+)/m.exec(text)?.[1] ?? 0);
    };
    await producer.send(topics.rawEvents, [{ key: 'ann', value: rawEvent('s-1', 'ann') }]);
    await eventually(async () => (await consumerLag(kafka, groupId, topics.rawEvents.name)) === 0, 'the first transaction');

    await producer.send(topics.rawEvents, [{ key: 'ann', value: rawEvent('s-2', 'ann') }, { key: 'ben', value: rawEvent('s-3', 'ben') }]);
    await eventually(async () => ((await consumed()) >= 3 ? true : undefined), 'the second chunk handled');
    expect(await consumerLag(kafka, groupId, topics.rawEvents.name)).toBe(2); // handed over, not committed

    expect(await enricher.stop()).toBe(true);
    expect(await consumerLag(kafka, groupId, topics.rawEvents.name)).toBe(0);
    const clean = await readTopicToEnd(kafka, topics.cleanEvents);
    expect(clean.map((e) => e.messageId).sort()).toEqual(['s-1', 's-2', 's-3']);
  }, 90_000);
});
