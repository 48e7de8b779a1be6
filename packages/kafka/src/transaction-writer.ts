import { randomUUID } from 'node:crypto';
import { CompressionTypes, type IHeaders, type Producer, type Transaction } from 'kafkajs';
import { AvroCodecError, type Topic } from '@telltale/contracts';
import { isFenced, ProducerFencedError, transactionalProducer } from './fenced-writer';
import { RecordTooLargeError } from './kafka-errors';
import type { KafkaClient } from './kafka-client';
import { planRequests, recordBytes } from './produce-request-plan';
import { withGroupMetadata, type GroupMetadata } from './txn-offset-commit-v3';

/** An encoded record for a transaction; `partition` pins it (a changelog record goes to its input's partition). */
export interface TransactionRecord {
  topic: string;
  partition?: number;
  key: string | null;
  /** null: a tombstone. */
  value: Buffer | null;
  headers?: IHeaders;
}

/** Consumer offsets a transaction commits with its records: the next offset to consume of each partition. */
export interface ConsumedOffsets {
  groupId: string;
  partitions: Array<{ topic: string; partition: number; /** last handled + 1 */ offset: string }>;
  /**
   * The committing consumer's generation in the group (BatchConsumer.groupMetadata()). With it the coordinator
   * refuses the offsets, and so the transaction, of a member the group has moved on from (KIP-447); without it only
   * transactional-id fencing protects the partitions.
   */
  group?: GroupMetadata;
}

/**
 * A transactional writer: each `commit` writes its records AND consumer offsets as one Kafka transaction, so readers
 * (read_committed, kafkajs's default) see all of it or none.
 */
export interface TransactionWriter {
  /**
   * ProducerFencedError when a newer writer with the same transactional id opened since; the coordinator's refusal
   * (ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID) when `offsets.group` is no longer the group's generation. Either way
   * nothing of the call is visible.
   */
  commit(records: TransactionRecord[], offsets: ConsumedOffsets): Promise<void>;
  /** Aborts an open transaction and disconnects. Safe to call twice. */
  close(): Promise<void>;
}

export interface TransactionWriterOptions {
  /** Byte budget of one produce request (AvroProducer.requestBudget): a transaction is sent in requests of this size. */
  requestBudget: number;
  /** Partition count of a topic, for the request size estimate. */
  partitionsOf: (topic: string) => number;
  /** The broker aborts a transaction left open this long (a writer killed mid-commit). @default 30000 */
  transactionTimeoutMs?: number;
}

/**
 * Opens a transactional writer under `transactionalId`. Opening fences every earlier writer with the same id: the
 * broker aborts what it had open and refuses what it writes afterwards (a restarted instance reusing its id ends
 * what its killed predecessor left open at once, instead of after the transaction timeout).
 */
export async function openTransactionWriter(client: KafkaClient, transactionalId: string, opts: TransactionWriterOptions): Promise<TransactionWriter> {
  const producer: Producer = transactionalProducer(client, transactionalId, opts.transactionTimeoutMs);
  let transaction: Transaction | undefined;
  try {
    await producer.connect();
    // The first transaction initialises the producer id under this transactional id: the moment earlier writers are fenced.
    transaction = await producer.transaction();
  } catch (err) {
    await producer.disconnect();
    throw isFenced(err) ? new ProducerFencedError(transactionalId, err) : err;
  }
  let closed = false;

  return {
    async commit(records, offsets) {
      if (closed) throw new Error(`writer ${transactionalId} is closed`);
      const current = transaction ?? (await producer.transaction());
      transaction = current;
      try {
        const sized = records.map((r) => ({ ...r, bytes: recordBytes(r.key, r.value, r.headers) }));
        const plan = planRequests(sized, opts.requestBudget, opts.partitionsOf);
        if (plan.tooLarge.length > 0) {
          throw new RecordTooLargeError(plan.tooLarge.map((r) => ({ index: sized.indexOf(r), topic: r.topic, bytes: r.bytes, limit: opts.requestBudget, reason: `record of ${r.bytes} bytes cannot fit a request` })));
        }
        for (const request of plan.requests) {
          const byTopic = new Map<string, Array<{ key: string | null; value: Buffer | null; partition?: number; headers?: IHeaders }>>();
          for (const r of request) {
            const list = byTopic.get(r.topic) ?? [];
            list.push({ key: r.key, value: r.value, ...(r.partition !== undefined ? { partition: r.partition } : {}), ...(r.headers ? { headers: r.headers } : {}) });
            byTopic.set(r.topic, list);
          }
          await current.sendBatch({ acks: -1, compression: CompressionTypes.None, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
        }
        if (offsets.partitions.length > 0) {
          const byTopic = new Map<string, Array<{ partition: number; offset: string }>>();
          for (const p of offsets.partitions) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), { partition: p.partition, offset: p.offset }]);
          const send = () => current.sendOffsets({ consumerGroupId: offsets.groupId, topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })) });
          await (offsets.group ? withGroupMetadata(transactionalId, offsets.group, send) : send());
        }
        await current.commit();
        transaction = undefined;
      } catch (err) {
        transaction = undefined;
        if (current.isActive()) await current.abort().catch(() => undefined);
        throw isFenced(err) ? new ProducerFencedError(transactionalId, err) : err;
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        if (transaction?.isActive()) await transaction.abort();
      } catch (err) {
        // A fenced writer cannot abort: the newer writer's start already aborted what it had open.
        if (!isFenced(err)) client.logger.warn({ err, transactionalId }, 'could not abort transaction');
      } finally {
        await producer.disconnect();
      }
    },
  };
}

/**
 * Reads one partition of a topic from its beginning to its end as it is now, in order, handing each record (a null
 * value for a tombstone) to `onRecord`; resolves with the number of records read. Only committed records are seen
 * (read_committed): a transaction still open on the partition holds the read back until it ends (committed,
 * aborted, or timed out by the broker).
 * NOTE: kafkajs has no manual partition assignment: a consumer of its own (random group, nothing committed) reads
 * the topic and pauses the other partitions at their first batch.
 */
export async function readPartition<T>(
  client: KafkaClient,
  topic: Topic<T>,
  partition: number,
  onRecord: (key: string, value: T | null, offset: string) => void,
  opts: { groupIdPrefix: string; timeoutMs?: number },
): Promise<number> {
  const admin = client.kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic.name).finally(() => admin.disconnect());
  const end = ends.find((p) => p.partition === partition);
  if (!end) throw new Error(`topic ${topic.name} has no partition ${partition}`);
  if (BigInt(end.high) <= BigInt(end.low)) return 0;
  const last = BigInt(end.high) - 1n;

  const consumer = client.kafka.consumer({ groupId: `${opts.groupIdPrefix}-${randomUUID()}`, maxWaitTimeInMs: 100, maxBytesPerPartition: 8 * 1024 * 1024 });
  let records = 0;
  let finish!: (err?: Error) => void;
  const done = new Promise<void>((resolve, reject) => (finish = (err) => (err ? reject(err) : resolve())));
  // TRICKY: the partition's last offset may be a transaction marker, which no message carries: kafkajs reports the
  // batch that skipped it here.
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    if (payload.partition === partition && BigInt(payload.lastOffset) >= last) finish();
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (!payload.restart) finish(payload.error);
  });
  const timer = setTimeout(() => finish(new Error(`reading ${topic.name}[${partition}] to offset ${last} took over ${opts.timeoutMs ?? 120_000} ms`)), opts.timeoutMs ?? 120_000);
  try {
    await consumer.connect();
    await consumer.subscribe({ topic: topic.name, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, pause }) => {
        if (batch.partition !== partition) {
          pause();
          return;
        }
        try {
          for (const m of batch.messages) {
            if (!m.key) throw new AvroCodecError(`record at ${topic.name}[${partition}]@${m.offset} has no key`);
            onRecord(m.key.toString('utf8'), m.value ? topic.codec.decode(m.value) : null, m.offset);
            records += 1;
          }
        } catch (err) {
          // Not retried: the same bytes would fail again. The caller cannot go on without its state.
          finish(err as Error);
        }
      },
    });
    await done;
    return records;
  } finally {
    clearTimeout(timer);
    await consumer.disconnect();
  }
}
