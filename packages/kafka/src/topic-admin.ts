import { ConfigResourceTypes } from 'kafkajs';
import type { Topic } from '@telltale/contracts';
import { isRetriable, withRetry } from '@telltale/runtime';
import type { KafkaClient } from './kafka-client';

// Three partitions let up to three consumers of a group share a topic; replication 1 suits the single-node local
// broker (a production cluster sets its own defaults or pre-creates the topics).
const PARTITIONS = 3;
const REPLICATION_FACTOR = 1;

/**
 * Creates the topics that do not exist yet (compacted ones with cleanup.policy=compact, plus `opts.config`, e.g.
 * max.message.bytes) and waits for their leaders. Existing topics are left as they are: this never deletes or
 * reconfigures.
 */
export async function ensureTopics(
  client: KafkaClient,
  topics: Array<Topic<unknown>>,
  opts: {
    config?: Record<string, string>;
    /** @default 3 */
    partitions?: number;
    /** @default 1 */
    replicationFactor?: number;
  } = {},
): Promise<void> {
  const admin = client.kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t.name));
    if (missing.length === 0) return;
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((t) => ({
        topic: t.name,
        numPartitions: opts.partitions ?? PARTITIONS,
        replicationFactor: opts.replicationFactor ?? REPLICATION_FACTOR,
        configEntries: Object.entries({ ...opts.config, ...(t.compacted ? { 'cleanup.policy': 'compact' } : {}) }).map(([name, value]) => ({ name, value })),
      })),
    });
    // TRICKY: on a freshly started KRaft broker, metadata can show a leader before the partition is served, and the
    // first ListOffsets then fails with "This server does not host this topic-partition". Wait until every new
    // topic answers, so callers (followers reading to the end, consumers) never see that.
    await withRetry(() => Promise.all(missing.map((t) => admin.fetchTopicOffsets(t.name))), {
      retries: 10,
      initialDelayMs: 50,
      maxDelayMs: 1000,
      shouldRetry: isRetriable,
    });
    client.logger.info({ topics: missing.map((t) => t.name) }, 'created topics');
  } finally {
    await admin.disconnect();
  }
}

/** Sum of (high watermark - committed offset) over a group's partitions of a topic: how far it is behind. */
export async function consumerLag(client: KafkaClient, groupId: string, topic: string): Promise<number> {
  const admin = client.kafka.admin();
  await admin.connect();
  try {
    const [ends, committed] = await Promise.all([
      admin.fetchTopicOffsets(topic),
      admin.fetchOffsets({ groupId, topics: [topic] }),
    ]);
    const committedByPartition = new Map(
      (committed[0]?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset === '-1' ? '0' : p.offset)]),
    );
    return ends.reduce((lag, p) => lag + Number(BigInt(p.high) - (committedByPartition.get(p.partition) ?? 0n)), 0);
  } finally {
    await admin.disconnect();
  }
}

/** Kafka's default `message.max.bytes` (1 MiB + record batch overhead), for when the cluster cannot be asked. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;

export interface ProduceLimits {
  /** The smallest effective `max.message.bytes` of the topics (topic override, else the broker's default). */
  maxMessageBytes: number;
  /** Which topic has that smallest limit, for messages. */
  limitingTopic: string | undefined;
  /** Partition count of each topic. */
  partitions: Map<string, number>;
}

/**
 * Asks the cluster how large a record batch each topic accepts and how many partitions it has. DescribeConfigs
 * reports the effective value of `max.message.bytes`, the broker's `message.max.bytes` when the topic sets none.
 */
export async function describeProduceLimits(client: KafkaClient, topicNames: string[]): Promise<ProduceLimits> {
  if (topicNames.length === 0) return { maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES, limitingTopic: undefined, partitions: new Map() };
  const admin = client.kafka.admin();
  await admin.connect();
  try {
    const [configs, metadata] = await Promise.all([
      admin.describeConfigs({
        includeSynonyms: false,
        resources: topicNames.map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configNames: ['max.message.bytes'] })),
      }),
      admin.fetchTopicMetadata({ topics: topicNames }),
    ]);
    let maxMessageBytes = Number.POSITIVE_INFINITY;
    let limitingTopic: string | undefined;
    for (const resource of configs.resources) {
      const entry = resource.configEntries.find((e) => e.configName === 'max.message.bytes');
      const value = entry ? Number(entry.configValue) : Number.NaN;
      if (!Number.isSafeInteger(value) || value <= 0) {
        throw new Error(`topic ${resource.resourceName} reports no usable max.message.bytes (${entry?.configValue ?? 'missing'})`);
      }
      if (value < maxMessageBytes) {
        maxMessageBytes = value;
        limitingTopic = resource.resourceName;
      }
    }
    if (!Number.isFinite(maxMessageBytes)) maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES;
    return {
      maxMessageBytes,
      limitingTopic,
      partitions: new Map(metadata.topics.map((t) => [t.name, t.partitions.length])),
    };
  } finally {
    await admin.disconnect();
  }
}
