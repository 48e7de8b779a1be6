import type { Consumer, EachBatchPayload } from 'kafkajs';
import { AvroCodecError, type Topic } from '@telltale/contracts';
import { Counter, Gauge, type Registry } from '@telltale/runtime';
import type { DeadLetterPublisher } from './dead-letter';
import type { KafkaClient } from './kafka-client';

export interface ConsumedRecord<T> {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: T;
  /** Broker/producer timestamp, ms. */
  timestamp: number;
  /** The undecoded bytes, for dead letters. */
  raw: Buffer;
}

export interface Subscription<T> {
  topic: Topic<T>;
  /**
   * Processes one partition's batch. Resolve only when the work is done (outputs acknowledged, rows inserted):
   * the offsets are committed right after. Route records that can never succeed to the dead-letter topic and
   * resolve; throw for failures worth retrying (the batch is fetched again from the last commit).
   */
  handle(records: Array<ConsumedRecord<T>>): Promise<void>;
}

export interface BatchConsumerOptions {
  groupId: string;
  subscriptions: Array<Subscription<any>>;
  /** Undecodable records go here with the codec's reason, then their offsets are committed like the rest. */
  deadLetters: DeadLetterPublisher;
  /** Where a new group starts. @default true (earliest) */
  fromBeginning?: boolean;
  /** Partitions processed at once; order is kept within a partition. @default 1 */
  partitionsConsumedConcurrently?: number;
  /** Let the broker gather this much before answering a fetch (bigger batches for ClickHouse). @default 1 */
  minBytes?: number;
  /** @default 500 */
  maxWaitTimeInMs?: number;
  /** Where the consumer's metrics go (records consumed, undecodable records, lag per partition). */
  registry?: Registry;
}

interface ConsumerMetrics {
  consumed: Counter<'topic'>;
  undecodable: Counter<'topic'>;
  lag: Gauge<'topic' | 'partition'>;
}

function consumerMetrics(registry: Registry): ConsumerMetrics {
  const registers = [registry];
  return {
    consumed: new Counter({ name: 'telltale_kafka_consumed_records_total', help: 'Records processed and committed', labelNames: ['topic'], registers }),
    undecodable: new Counter({
      name: 'telltale_kafka_undecodable_records_total',
      help: 'Records that were not valid Avro for their topic (sent to the dead-letter topic)',
      labelNames: ['topic'],
      registers,
    }),
    lag: new Gauge({
      name: 'telltale_kafka_consumer_lag',
      help: 'Records behind the high watermark after the last committed batch',
      labelNames: ['topic', 'partition'],
      registers,
    }),
  };
}

/**
 * A consumer that commits a partition's offset only after its handler finished every record of the batch,
 * so offsets never run ahead of work (at-least-once; downstream de-duplicates by messageId).
 */
export class BatchConsumer {
  private readonly consumer: Consumer;
  private readonly byTopic: Map<string, Subscription<unknown>>;
  private running = false;
  private crashed: Error | undefined;
  private readonly metrics: ConsumerMetrics | undefined;

  constructor(
    client: KafkaClient,
    private readonly options: BatchConsumerOptions,
  ) {
    this.byTopic = new Map(options.subscriptions.map((s) => [s.topic.name, s as Subscription<unknown>]));
    this.metrics = options.registry ? consumerMetrics(options.registry) : undefined;
    this.consumer = client.kafka.consumer({
      groupId: options.groupId,
      minBytes: options.minBytes ?? 1,
      maxWaitTimeInMs: options.maxWaitTimeInMs ?? 500,
      allowAutoTopicCreation: false,
    });
    this.consumer.on(this.consumer.events.CRASH, ({ payload }) => {
      this.crashed = payload.error;
      client.logger.error({ err: payload.error, groupId: options.groupId, restart: payload.restart }, 'consumer crashed');
    });
    this.consumer.on(this.consumer.events.GROUP_JOIN, ({ payload }) => {
      this.crashed = undefined;
      client.logger.info({ groupId: payload.groupId, assignment: payload.memberAssignment }, 'joined consumer group');
    });
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({
      topics: [...this.byTopic.keys()],
      fromBeginning: this.options.fromBeginning ?? true,
    });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 1,
      eachBatch: (payload) => this.processBatch(payload),
    });
    this.running = true;
  }

  private async processBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    if (!isRunning() || isStale() || batch.messages.length === 0) return;
    const subscription = this.byTopic.get(batch.topic);
    if (!subscription) throw new Error(`no subscription for topic ${batch.topic}`);

    const records: Array<ConsumedRecord<unknown>> = [];
    const invalid: Parameters<DeadLetterPublisher['publish']>[0] = [];
    for (const m of batch.messages) {
      const raw = m.value ?? Buffer.alloc(0);
      const key = m.key ? m.key.toString('utf8') : null;
      try {
        records.push({
          topic: batch.topic,
          partition: batch.partition,
          offset: m.offset,
          key,
          value: subscription.topic.codec.decode(raw),
          timestamp: Number(m.timestamp),
          raw,
        });
      } catch (err) {
        if (!(err instanceof AvroCodecError)) throw err;
        invalid.push({
          reason: err.message,
          payload: raw,
          key,
          source: { topic: batch.topic, partition: batch.partition, offset: m.offset },
        });
      }
    }

    await this.options.deadLetters.publish(invalid);
    if (records.length > 0) await subscription.handle(records);
    await heartbeat();

    // TRICKY: a rebalance during the handler means another member may own the partition now; committing would
    // be rejected anyway, and the new owner re-processes from the last commit (duplicates are dropped downstream).
    if (isStale()) return;
    const lastOffset = batch.lastOffset();
    resolveOffset(lastOffset);
    await this.consumer.commitOffsets([
      { topic: batch.topic, partition: batch.partition, offset: (BigInt(lastOffset) + 1n).toString() },
    ]);
    this.metrics?.consumed.inc({ topic: batch.topic }, records.length);
    if (invalid.length > 0) this.metrics?.undecodable.inc({ topic: batch.topic }, invalid.length);
    this.metrics?.lag.set({ topic: batch.topic, partition: String(batch.partition) }, Number(batch.offsetLag()));
  }

  /** Healthy while running and not crashed (kafkajs restarts after retriable crashes and clears this on re-join). */
  health(): { ok: boolean; detail?: string } {
    if (!this.running) return { ok: false, detail: 'not running' };
    if (this.crashed) return { ok: false, detail: `crashed: ${this.crashed.message}` };
    return { ok: true };
  }

  /** Waits for the batch in progress (and its commit), then leaves the group. */
  async stop(): Promise<void> {
    this.running = false;
    await this.consumer.disconnect();
  }
}
