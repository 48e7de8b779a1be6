// The one-shot topic-init job (Compose's topic-init, `node dist/init-topics.js` in any service image): creates the
// pipeline's topics before the stages start, with the partition count, replication and retention of this
// deployment, compacted topics (models) as compacted. Stages also create missing topics at start, but only with
// the development defaults (3 partitions, replication 1, the broker's retention).
import { topicsFor } from '@telltale/contracts';
import { commonEnv, createLogger, env, loadConfig, runMain } from '@telltale/runtime';
import { createKafkaClient } from './kafka-client';
import { ensureTopics } from './topic-admin';

const initTopicsEnv = {
  ...commonEnv,
  /** Partitions per topic: the most consumers of one group that can share a topic. @default 3 */
  TOPIC_PARTITIONS: env.int(3, 1),
  /** @default 1 */
  TOPIC_REPLICATION_FACTOR: env.int(1, 1),
  /** How long the event topics keep records (retention.ms; the compacted models topic keeps each model's last version). @default 604800000 (7 days) */
  TOPIC_RETENTION_MS: env.int(7 * 24 * 3600 * 1000, 60_000),
};

runMain(async () => {
  const config = loadConfig(initTopicsEnv);
  const logger = createLogger('init-topics', config.LOG_LEVEL);
  const client = createKafkaClient({ brokers: config.KAFKA_BROKERS, clientId: 'telltale-init-topics' }, logger);
  const topics = Object.values(topicsFor(config.TOPIC_PREFIX));
  await ensureTopics(client, topics, {
    partitions: config.TOPIC_PARTITIONS,
    replicationFactor: config.TOPIC_REPLICATION_FACTOR,
    config: { 'retention.ms': String(config.TOPIC_RETENTION_MS) },
  });
  logger.info({ topics: topics.map((t) => t.name) }, 'topics ready');
});
