import type { EnricherStateEntry } from '@telltale/contracts';
import { ProducerFencedError } from './fenced-writer';
import { connectStage } from './kafka-stage';
import { openPartitionWriter, readPartition, type TransactionRecord } from './partition-transactions';
import { id, logger } from './kafka.test-helpers';


const seen = (receivedAt: number): EnricherStateEntry => ({ visitor: null, seenReceivedAt: receivedAt });

describe('per-partition transactions, on a real broker', () => {
  it('commits records and the consumer offset together; a writer killed mid-transaction leaves nothing; the next owner fences it', async () => {
    const prefix = `${id('txn')}.`;
    const stage = await connectStage({ stage: 'test', brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','), topicPrefix: prefix, logger });
    const changelog = stage.topics.enricherState;
    const groupId = id('group');
    const transactionalId = id('writer');
    const opts = { requestBudget: stage.producer.requestBudget, partitionsOf: () => 3 };
    const record = (key: string, receivedAt: number | null): TransactionRecord => ({
      topic: changelog.name,
      partition: 1,
      key,
      value: receivedAt === null ? null : changelog.codec.encode(seen(receivedAt)),
    });
    const read = async () => {
      const out: Array<[string, number | null]> = [];
      await readPartition(stage.client, changelog, 1, (key, value) => out.push([key, value?.seenReceivedAt ?? null]), { groupIdPrefix: id('reader') });
      return out;
    };
    const committedOffset = async () => {
      const admin = stage.client.kafka.admin();
      await admin.connect();
      const [offsets] = await admin.fetchOffsets({ groupId, topics: [stage.topics.rawEvents.name] }).finally(() => admin.disconnect());
      return offsets?.partitions.find((p) => p.partition === 1)?.offset;
    };
    const position = (offset: string) => ({ groupId, topic: stage.topics.rawEvents.name, partition: 1, offset });

    try {
      const first = await openPartitionWriter(stage.client, transactionalId, opts);
      await first.commit([record('m:a', 1), record('m:b', 2)], position('2'));
      await first.commit([record('m:a', null)], position('3'));
      expect(await read()).toEqual([['m:a', 1], ['m:b', 2], ['m:a', null]]);
      expect(await committedOffset()).toBe('3');

      // A writer that dies with its transaction open (kill -9 between send and commit): nothing of it is readable...
      const dying = stage.client.kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 });
      await dying.connect();
      const open = await dying.transaction();
      await open.send({ topic: changelog.name, messages: [{ key: 'm:lost', value: changelog.codec.encode(seen(9)), partition: 1 }] });
      await open.sendOffsets({ consumerGroupId: groupId, topics: [{ topic: stage.topics.rawEvents.name, partitions: [{ partition: 1, offset: '9' }] }] });

      // ... once the next owner opens (which ends that transaction), and the offset stays where it was.
      const next = await openPartitionWriter(stage.client, transactionalId, opts);
      expect(await read()).toEqual([['m:a', 1], ['m:b', 2], ['m:a', null]]);
      expect(await committedOffset()).toBe('3');

      // The earlier writer can no longer commit anything; the new one can.
      await expect(first.commit([record('m:zombie', 5)], position('4'))).rejects.toBeInstanceOf(ProducerFencedError);
      await next.commit([record('m:c', 3)], position('4'));
      expect(await read()).toEqual([['m:a', 1], ['m:b', 2], ['m:a', null], ['m:c', 3]]);
      expect(await committedOffset()).toBe('4');

      await dying.disconnect();
      await first.close();
      await next.close();
    } finally {
      await stage.producer.disconnect();
    }
  }, 120_000);
});
