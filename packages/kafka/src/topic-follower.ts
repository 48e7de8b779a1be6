import { randomUUID } from 'node:crypto';
import type { Consumer, IHeaders } from 'kafkajs';
import { AvroCodecError, type Topic } from '@telltale/contracts';
import type { Registry } from '@telltale/runtime';
import { crashCounter } from './consumer-metrics';
import type { KafkaClient } from './kafka-client';

export interface TopicFollower {
  /** Resolves once every record that existed when following began has been handed to onRecord. */
  caughtUp: Promise<void>;
  /** Unhealthy while kafkajs restarts the follower, and for good once it gave up (see `onFatal`). */
  health(): { ok: boolean; detail?: string };
  stop(): Promise<void>;
}

export interface FollowOptions {
  /** Prefix of the follower's own consumer group (a random suffix per process); also its `group` metric label. */
  groupIdPrefix: string;
  /**
   * Called once when the follower is gone for good (kafkajs crashed without restart): a process that silently
   * stops following models would score with a stale one forever. Stop in order and exit non-zero.
   */
  onFatal?: (err: Error) => void;
  /** Counts crashes in telltale_kafka_consumer_crashes_total{group=groupIdPrefix}. */
  registry?: Registry;
  /**
   * false: only records written from now on (a large topic whose history lives elsewhere, e.g. in ClickHouse); caughtUp
   * resolves at once. @default true
   */
  fromBeginning?: boolean;
}

/**
 * Reads a topic from the beginning (or from now: `fromBeginning`) and keeps following it, committing nothing: for small compacted topics
 * (models) that every instance needs whole. Undecodable records are logged and skipped: there is no consumer
 * group position to hold back, and a bad model must not stop scoring with the good ones.
 */
export async function followTopic<T>(
  client: KafkaClient,
  topic: Topic<T>,
  onRecord: (value: T, key: string | null, headers: IHeaders) => void,
  opts: FollowOptions,
): Promise<TopicFollower> {
  const admin = client.kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic.name).finally(() => admin.disconnect());
  // Partitions with records, and the offset of their last record at start.
  const fromBeginning = opts.fromBeginning ?? true;
  const waiting = new Map(
    fromBeginning ? ends.filter((p) => BigInt(p.high) > BigInt(p.low)).map((p) => [p.partition, BigInt(p.high) - 1n]) : [],
  );

  let markCaughtUp!: () => void;
  const caughtUp = new Promise<void>((resolve) => (markCaughtUp = resolve));
  if (waiting.size === 0) markCaughtUp();

  // A group of its own per process: each instance must see every record.
  const consumer: Consumer = client.kafka.consumer({ groupId: `${opts.groupIdPrefix}-${randomUUID()}`, maxWaitTimeInMs: 200 });
  const crashes = opts.registry ? crashCounter(opts.registry) : undefined;
  let stopping = false;
  let crashed: Error | undefined;
  let fatal: Error | undefined;
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    crashes?.inc({ group: opts.groupIdPrefix, restart: String(payload.restart) });
    crashed = payload.error;
    client.logger.error({ err: payload.error, topic: topic.name, restart: payload.restart }, 'topic follower crashed');
    if (payload.restart || stopping || fatal) return;
    fatal = payload.error;
    opts.onFatal?.(payload.error);
  });
  consumer.on(consumer.events.GROUP_JOIN, () => (crashed = undefined));
  const reached = (partition: number, offset: string) => {
    const target = waiting.get(partition);
    if (target !== undefined && BigInt(offset) >= target) {
      waiting.delete(partition);
      if (waiting.size === 0) markCaughtUp();
    }
  };
  // TRICKY: on a topic written in transactions (models) a partition's last offset is a commit marker, which never
  // reaches eachMessage; kafkajs reports the batch that skipped it here.
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => reached(payload.partition, payload.lastOffset));
  await consumer.connect();
  await consumer.subscribe({ topic: topic.name, fromBeginning });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ partition, message }) => {
      const key = message.key ? message.key.toString('utf8') : null;
      if (message.value) {
        try {
          onRecord(topic.codec.decode(message.value), key, message.headers ?? {});
        } catch (err) {
          if (!(err instanceof AvroCodecError)) throw err;
          client.logger.error({ topic: topic.name, partition, offset: message.offset, reason: err.message }, 'skipped undecodable record');
        }
      }
      reached(partition, message.offset);
    },
  });
  return {
    caughtUp,
    health() {
      if (fatal) return { ok: false, detail: `stopped following ${topic.name} for good: ${fatal.message}` };
      if (crashed) return { ok: false, detail: `following ${topic.name} crashed, restarting: ${crashed.message}` };
      return { ok: true };
    },
    stop: () => {
      stopping = true;
      return consumer.disconnect();
    },
  };
}
