import { BatchConsumer, connectStage, followTopic } from '@telltale/kafka';
import { LatestModels } from '@telltale/model';
import type { HealthCheck, Logger, Registry, ServiceDefinition } from '@telltale/runtime';
import type { LiveModel } from './feature-scoring';
import { loadScorerConfig, type ScorerConfig } from './scorer.config';
import { createScorerMetrics } from './scorer.metrics';
import { ScorerService } from './scorer.service';

export interface ScorerApp {
  service: ScorerService;
  checks: Record<string, HealthCheck>;
  /** Stops consuming after the in-flight batch (committed), stops following models, flushes and disconnects. */
  close(): Promise<void>;
}

export const scorerService: ServiceDefinition<ScorerConfig> = {
  name: 'scorer',
  loadConfig: loadScorerConfig,
  adminPort: (config) => config.ADMIN_PORT,
  start: async (config, { logger, registry, fail }) => {
    const app = await startScorerApp(config, logger, registry, (err) => fail('kafka consumer gave up', err));
    return { ...app, describe: { model: config.MODEL_NAME, groupId: config.SCORER_GROUP_ID } };
  },
};

/**
 * Starts scoring. TRICKY: the models topic is read to its end BEFORE the features consumer starts, otherwise the
 * first batches after a restart would be counted as "no model" although a model exists.
 */
export async function startScorerApp(
  config: ScorerConfig,
  logger: Logger,
  registry: Registry,
  /** A consumer or the models follower gave up for good: the process must stop, not idle. */
  onFatal?: (err: Error) => void,
  /** For tests: the clock that stamps predictedAt. */
  now?: () => number,
): Promise<ScorerApp> {
  const { topics, client: kafka, producer, deadLetters } = await connectStage({
    stage: 'scorer',
    brokers: config.KAFKA_BROKERS,
    topicPrefix: config.TOPIC_PREFIX,
    logger,
    producer: { maxRequestBytes: config.KAFKA_MAX_REQUEST_BYTES },
    registry,
  });
  const service = new ScorerService({
    config,
    topics,
    producer,
    deadLetters,
    models: new LatestModels<LiveModel>(),
    metrics: createScorerMetrics(registry),
    logger,
    now,
  });

  const follower = await followTopic(kafka, topics.models, (model) => service.onModel(model), {
    groupIdPrefix: `${config.TOPIC_PREFIX}scorer-models`,
    onFatal,
    registry,
  });
  const consumer = new BatchConsumer(kafka, {
    groupId: config.SCORER_GROUP_ID,
    subscriptions: [{ ...service.subscription(), receivedAt: (v) => v.receivedAt }],
    deadLetters,
    partitionsConsumedConcurrently: 3,
    commitIntervalMs: config.SCORER_COMMIT_INTERVAL_MS,
    registry,
    onFatal,
  });
  try {
    await follower.caughtUp;
    logger.info({ model: config.MODEL_NAME, version: service.currentModel()?.version ?? null }, 'models topic read to its end');
    await consumer.start();
  } catch (err) {
    await follower.stop();
    await producer.disconnect();
    throw err;
  }

  return {
    service,
    checks: {
      consumer: () => consumer.health(),
      models: () => follower.health(),
      // Informational: having no model yet is a valid state (vectors are counted as unscored), not a failure.
      model: () => {
        const model = service.currentModel();
        return { ok: true, detail: model ? `${model.name} v${model.version}` : `no ${config.MODEL_NAME} model yet` };
      },
    },
    close: async () => {
      await consumer.stop();
      await follower.stop();
      await producer.disconnect();
    },
  };
}
