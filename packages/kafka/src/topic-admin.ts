import type { Topic } from '@telltale/contracts';
import { isRetriable, withRetry } from '@telltale/runtime';
import type { KafkaClient } from './kafka-client';

// Three partitions let up to three consumers of a group share a topic; replication 1 suits the single-node local
// broker (a production cluster sets its own defaults or pre-creates the topics).
const PARTITIONS = 3;
const REPLICATION_FACTOR = 1;

/**
 * Creates the topics that do not exist yet (compacted ones with cleanup.policy=compact) and waits for their
 * leaders. Existing topics are left as they are: this never deletes or reconfigures.
 */
export async function ensureTopics(client: KafkaClient, topics: Array<Topic<unknown>>): Promise<void> {
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
        numPartitions: PARTITIONS,
        replicationFactor: REPLICATION_FACTOR,
        configEntries: t.compacted ? [{ name: 'cleanup.policy', value: 'compact' }] : [],
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
