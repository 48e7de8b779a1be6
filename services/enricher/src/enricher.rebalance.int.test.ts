import { topicsFor, type CleanEvent, type FeatureVector, type RawEvent, type Topics } from '@telltale/contracts';
import { consumerLag, type AvroProducer, type KafkaClient } from '@telltale/kafka';
import { startService, type ServiceHandle } from '@telltale/runtime';
import { eventually, readTopicToEnd, testId, testLogger, testStage } from '@telltale/testing';
import type { EnricherConfig } from './enricher.config';
import { enricherService } from './enricher.service';
import { rawEvent, T0 } from './raw-event.fixture';

const VISITORS = 24;
const EVENTS_PER_VISITOR = 15;

/**
 * Visitors browsing anonymously; every third signs in on its 6th event and keeps going; every fourth event of some
 * visitors is a retry of the one before (same messageId). Keyed like the collector does: by anonymousId.
 */
function visits(): Array<{ key: string; value: RawEvent }> {
  const out: Array<{ key: string; value: RawEvent }> = [];
  for (let step = 0; step < EVENTS_PER_VISITOR; step++) {
    for (let v = 0; v < VISITORS; v++) {
      const anonymousId = `anon-${v}`;
      const at = T0 + v * 1000 + step * 20_000;
      const signsIn = v % 3 === 0 && step === 5;
      const signedIn = v % 3 === 0 && step > 5;
      const base = { userId: signsIn || signedIn ? `user-${v}` : null, anonymousId, timestamp: at, receivedAt: at + 10 };
      const value = signsIn
        ? rawEvent(`m-${v}-${step}`, 'ignored', { ...base, type: 'identify', event: null })
        : step % 4 === 3 && v % 2 === 0
          ? rawEvent(`m-${v}-${step - 1}`, 'ignored', { ...base, timestamp: at - 20_000, receivedAt: at + 10 }) // a retry
          : rawEvent(`m-${v}-${step}`, 'ignored', { ...base, ...(step % 5 === 2 ? { event: 'Product Added', properties: '{"productId":"p","price":3}' } : {}) });
      out.push({ key: anonymousId, value });
    }
  }
  return out;
}

/** What must not depend on how many instances ran: every field but the processing times. */
const comparableClean = ({ enrichedAt: _e, ...rest }: CleanEvent) => rest;
const comparableFeatures = ({ computedAt: _c, ...rest }: FeatureVector) => rest;
const byMessage = <T extends { messageId: string }>(values: T[]) => [...values].sort((a, b) => a.messageId.localeCompare(b.messageId));

describe('several enricher instances in one group', () => {
  const instances: Array<ServiceHandle<EnricherConfig>> = [];
  let kafka: KafkaClient;
  const producers: AvroProducer[] = [];

  const startEnricher = (prefix: string, groupId: string) =>
    startService(enricherService, {
      env: { KAFKA_BROKERS: process.env.KAFKA_BROKERS, TOPIC_PREFIX: prefix, ENRICHER_GROUP_ID: groupId, ADMIN_PORT: '0' },
      logger: testLogger(),
    });

  afterAll(async () => {
    for (const instance of instances) await instance.stop();
    for (const producer of producers) await producer.disconnect();
  });

  async function pipelineOn(prefix: string): Promise<{ prefix: string; topics: Topics; producer: AvroProducer; client: KafkaClient }> {
    const stage = await testStage(prefix);
    producers.push(stage.producer);
    return { prefix, topics: topicsFor(prefix), producer: stage.producer, client: stage.client };
  }

  it('1 → 2 → 1 instances while events flow give the same clean events and features as one instance', async () => {
    const input = visits();
    const thirds = [input.slice(0, 120), input.slice(120, 240), input.slice(240)];

    // The run under test: one instance, a second joins, the first leaves, while the three thirds arrive.
    const moving = await pipelineOn(`${testId('enricher_moving')}.`);
    kafka = moving.client;
    const movingGroup = testId('group');
    const first = await startEnricher(moving.prefix, movingGroup);
    instances.push(first);
    await moving.producer.send(moving.topics.rawEvents, thirds[0]!);
    await eventually(async () => (await readTopicToEnd(kafka, moving.topics.cleanEvents)).length > 0, 'the first instance to process events');

    const second = await startEnricher(moving.prefix, movingGroup);
    instances.push(second);
    await moving.producer.send(moving.topics.rawEvents, thirds[1]!);
    await first.stop();
    instances.splice(instances.indexOf(first), 1);
    await moving.producer.send(moving.topics.rawEvents, thirds[2]!);
    await eventually(async () => (await consumerLag(kafka, movingGroup, moving.topics.rawEvents.name)) === 0, 'the moving group to commit every raw event', 120_000);

    // The second instance took the first one's partitions over with their state, read from the changelog.
    const metrics = await (await fetch(`http://127.0.0.1:${second.adminPort}/metrics`)).text();
    const restored = /^telltale_enricher_state_restored_records_total\S* (\d+)/m.exec(metrics);
    expect(Number(restored?.[1])).toBeGreaterThan(0);

    // The reference: the same input, same keys (so the same partitions, in the same order), one instance throughout.
    const single = await pipelineOn(`${testId('enricher_single')}.`);
    const singleGroup = testId('group');
    instances.push(await startEnricher(single.prefix, singleGroup));
    await single.producer.send(single.topics.rawEvents, input);
    await eventually(async () => (await consumerLag(kafka, singleGroup, single.topics.rawEvents.name)) === 0, 'the single instance to commit every raw event', 120_000);

    const [movingClean, singleClean, movingFeatures, singleFeatures] = await Promise.all([
      readTopicToEnd(kafka, moving.topics.cleanEvents),
      readTopicToEnd(kafka, single.topics.cleanEvents),
      readTopicToEnd(kafka, moving.topics.features),
      readTopicToEnd(kafka, single.topics.features),
    ]);
    const uniqueMessages = new Set(input.map((r) => r.value.messageId)).size;
    expect(singleClean).toHaveLength(uniqueMessages);
    expect(byMessage(movingClean).map(comparableClean)).toEqual(byMessage(singleClean).map(comparableClean));
    expect(byMessage(movingFeatures).map(comparableFeatures)).toEqual(byMessage(singleFeatures).map(comparableFeatures));
    // The visitors who signed in kept one session for the whole visit, under their user from the sign-in on.
    const signedIn = singleClean.filter((e) => e.anonymousId === 'anon-0');
    expect(new Set(signedIn.map((e) => e.sessionId)).size).toBe(1);
    // 15 events, 3 of them retries; signed in at the 6th (steps 5, 6, 8, 9, 10, 12, 13, 14 carry the user).
    expect(signedIn).toHaveLength(12);
    expect(signedIn.filter((e) => e.userId === 'user-0')).toHaveLength(8);
  }, 240_000);
});
