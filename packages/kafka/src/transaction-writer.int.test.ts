import type { EnricherStateEntry } from '@telltale/contracts';
import { ProducerFencedError } from './fenced-writer';
import { connectStage } from './kafka-stage';
import { BatchConsumer } from './batch-consumer';
import { eventually, id, logger } from './kafka.test-helpers';
import { openTransactionWriter, readPartition, type TransactionRecord } from './transaction-writer';

const seen = (receivedAt: number): EnricherStateEntry => ({ visitor: null, seenReceivedAt: receivedAt, messages: null, window: null });

describe('transactions of records and consumer offsets, on a real broker', () => {
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
    const position = (offset: string) => ({ groupId, partitions: [{ topic: stage.topics.rawEvents.name, partition: 1, offset }] });

    try {
      const first = await openTransactionWriter(stage.client, transactionalId, opts);
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
      const next = await openTransactionWriter(stage.client, transactionalId, opts);
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

  it('refuses the offsets, and so the whole transaction, of a member the group has moved on from (KIP-447)', async () => {
    const prefix = `${id('kip447')}.`;
    const stage = await connectStage({ stage: 'test', brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','), topicPrefix: prefix, logger });
    const groupId = id('group');
    const { rawEvents, enricherState: changelog } = stage.topics;
    const consumers: BatchConsumer[] = [];
    const member = async () => {
      const c = new BatchConsumer(stage.client, { groupId, subscriptions: [{ topic: rawEvents, handle: async () => undefined }], deadLetters: stage.deadLetters, handlersCommitOffsets: true, lagRefreshMs: 0 });
      consumers.push(c);
      await c.start();
      return c;
    };
    const writer = await openTransactionWriter(stage.client, id('writer'), { requestBudget: stage.producer.requestBudget, partitionsOf: () => 3 });
    const readChangelog = async () => {
      const out: string[] = [];
      await readPartition(stage.client, changelog, 0, (key) => out.push(key), { groupIdPrefix: id('reader') });
      return out;
    };
    const record = (key: string): TransactionRecord => ({ topic: changelog.name, partition: 0, key, value: changelog.codec.encode(seen(1)) });
    try {
      const first = await member();
      const before = await eventually(() => first.groupMetadata(), 'the first member to join');
      expect(before).toEqual({ groupId, memberId: expect.any(String), generationId: expect.any(Number) });
      await writer.commit([record('as-member')], { groupId, partitions: [{ topic: rawEvents.name, partition: 0, offset: '1' }], group: before });

      // A second member joins: the group's generation moves on, and the first member's metadata is stale.
      const second = await member();
      const after = await eventually(() => {
        const m = second.groupMetadata();
        return m && m.generationId > before.generationId && first.groupMetadata()?.generationId === m.generationId ? m : undefined;
      }, 'both members in the next generation');
      await expect(
        writer.commit([record('zombie')], { groupId, partitions: [{ topic: rawEvents.name, partition: 0, offset: '2' }], group: before }),
      ).rejects.toMatchObject({ type: expect.stringMatching(/ILLEGAL_GENERATION|UNKNOWN_MEMBER_ID/) });
      // The current generation commits; nothing of the refused transaction is readable.
      await writer.commit([record('current')], { groupId, partitions: [{ topic: rawEvents.name, partition: 0, offset: '3' }], group: after });
      expect(await readChangelog()).toEqual(['as-member', 'current']);
    } finally {
      await writer.close();
      await Promise.all(consumers.map((c) => c.stop()));
      await stage.producer.disconnect();
    }
  }, 120_000);
});
