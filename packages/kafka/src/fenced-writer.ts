import type { Producer, Transaction } from 'kafkajs';
import { createFastDefaultPartitioner } from './kafkajs-fast-paths';
import type { Topic } from '@telltale/contracts';
import type { OutgoingRecord } from './avro-producer';
import type { KafkaClient } from './kafka-client';
import { brokerErrorCode, rootCause } from './kafka-errors';

/**
 * A kafkajs producer for Kafka transactions under `transactionalId` (not connected). The broker aborts a transaction
 * left open for `transactionTimeoutMs` (a writer killed mid-commit).
 */
export function transactionalProducer(client: KafkaClient, transactionalId: string, transactionTimeoutMs = 30_000): Producer {
  return client.kafka.producer({
    transactionalId,
    idempotent: true,
    maxInFlightRequests: 1,
    transactionTimeout: transactionTimeoutMs,
    // NOTE: murmur2 like the Java client and AvroProducer, so a key lands on the partition other writers use
    // (kafkajs's DefaultPartitioner, its hash in 32-bit arithmetic: kafkajs-fast-paths.ts).
    createPartitioner: createFastDefaultPartitioner,
    allowAutoTopicCreation: false,
    // TRICKY: after EndTxn the broker answers CONCURRENT_TRANSACTIONS to the next transaction's AddPartitionsToTxn
    // until its commit markers are written (a few ms), and kafkajs retries that after initialRetryTime: the client's
    // 200 ms made every transaction after the first take 200-280 ms (measured), so the enricher's latency was its
    // transactions'. The Java client retries this after 20 ms. 3 ms doubling gives the same total budget (~50 s up
    // to the 10 s cap) as the client default for real outages.
    retry: { initialRetryTime: 3, retries: 16 },
  });
}

/** INVALID_PRODUCER_EPOCH (47) and PRODUCER_FENCED (90, which kafkajs 2.2.4 does not know by name). */
const FENCED_CODES = new Set([47, 90]);

/** A writer with the same transactional id opened after this one: this one may not write any more. */
export class ProducerFencedError extends Error {
  override readonly name = 'ProducerFencedError';

  constructor(transactionalId: string, cause: unknown) {
    super(`writer ${transactionalId} was fenced off by a newer writer with the same transactional id`, { cause });
  }
}

export function isFenced(err: unknown): boolean {
  const code = brokerErrorCode(err);
  if (code !== undefined && FENCED_CODES.has(code)) return true;
  const message = (rootCause(err) as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' && /Unknown error code 90\b|PRODUCER_FENCED|INVALID_PRODUCER_EPOCH/.test(message);
}

export interface FencedWriter<T> {
  /** Writes the records and commits them as one transaction; ProducerFencedError when a newer writer opened since. */
  commit(records: Array<OutgoingRecord<T>>): Promise<void>;
  /** Ends the writer without writing (aborts its transaction if one is open) and disconnects. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Opens a transactional writer to `topic` under `transactionalId`. Opening fences every earlier writer with the same
 * id: the broker aborts its open transaction and refuses what it writes afterwards. So a caller that opens, THEN reads
 * the topic to its end (readers see committed records only), THEN commits, knows that nobody committed in between:
 * had anyone opened meanwhile, the commit would fail with ProducerFencedError.
 *
 * NOTE: readers of such a topic must skip transaction markers (followTopic does); a writer that dies with an open
 * transaction holds readers back until `transactionTimeoutMs` passes.
 */
export async function openFencedWriter<T>(
  client: KafkaClient,
  topic: Topic<T>,
  transactionalId: string,
  opts: { transactionTimeoutMs?: number } = {},
): Promise<FencedWriter<T>> {
  const producer = transactionalProducer(client, transactionalId, opts.transactionTimeoutMs);
  let transaction: Transaction;
  try {
    await producer.connect();
    // Initialises the producer id under this transactional id: this is the moment earlier writers are fenced.
    transaction = await producer.transaction();
  } catch (err) {
    await producer.disconnect();
    throw err;
  }
  let closed = false;
  return {
    async commit(records) {
      try {
        await transaction.send({
          topic: topic.name,
          acks: -1,
          messages: records.map((r) => ({ key: r.key, value: topic.codec.encode(r.value), headers: r.headers })),
        });
        await transaction.commit();
      } catch (err) {
        throw isFenced(err) ? new ProducerFencedError(transactionalId, err) : err;
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        if (transaction.isActive()) await transaction.abort();
      } catch (err) {
        // A fenced writer cannot abort: the newer writer's start already aborted what it had open.
        if (!isFenced(err)) client.logger.warn({ err, transactionalId }, 'could not abort transaction');
      } finally {
        await producer.disconnect();
      }
    },
  };
}
