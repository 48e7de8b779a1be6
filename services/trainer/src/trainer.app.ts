import { createClickHouseClient, settingsFromEnv } from '@telltale/clickhouse';
import type { Model } from '@telltale/contracts';
import { connectStage, followTopic, type TopicFollower } from '@telltale/kafka';
import { LatestModels, validateLinearModel } from '@telltale/model';
import type { Logger, Registry, ServiceDefinition } from '@telltale/runtime';
import { loadTrainerConfig, type TrainerConfig } from './trainer.config';
import { createTrainerMetrics } from './trainer.metrics';
import { TrainerService } from './trainer.service';

export interface TrainerApp {
  service: TrainerService;
  follower: TopicFollower;
  /** Stops the service (finishing a run in progress), then the follower, producer and ClickHouse client. */
  close(): Promise<void>;
}

/** Service mode: a training run now, then every TRAINER_INTERVAL_S after the previous one ended. */
export const trainerService: ServiceDefinition<TrainerConfig> = {
  name: 'trainer',
  loadConfig: loadTrainerConfig,
  adminPort: (config) => config.ADMIN_PORT,
  start: async (config, { logger, registry, fail }) => {
    const app = await startTrainerApp(config, logger, registry, (err) => fail('models follower gave up', err));
    app.service.start();
    return {
      checks: { trainer: () => app.service.health(), models: () => app.follower.health() },
      close: () => app.close(),
      describe: { model: config.MODEL_NAME, intervalS: config.TRAINER_INTERVAL_S },
    };
  },
};

/**
 * Connects everything a trainer needs and waits until it knows the latest published version (the models topic
 * read to its end), so the first model it publishes gets the right version. Used by main.ts and the tests.
 */
export async function startTrainerApp(
  config: TrainerConfig,
  logger: Logger,
  registry: Registry,
  /** The models follower gave up for good: versions would no longer be known, so the process must stop. */
  onFatal?: (err: Error) => void,
): Promise<TrainerApp> {
  // Models are published one at a time and must be acknowledged at once: no linger.
  const { topics, client: kafka, producer } = await connectStage({
    stage: 'trainer',
    brokers: config.KAFKA_BROKERS,
    topicPrefix: config.TOPIC_PREFIX,
    logger,
    producer: { maxRequestBytes: config.KAFKA_MAX_REQUEST_BYTES, lingerMs: 0 },
  });

  const models = new LatestModels<Model>();
  const follower: TopicFollower = await followTopic(
    kafka,
    topics.models,
    (model) => {
      const problems = validateLinearModel(model);
      // A broken record still holds its version number: counting it keeps versions unique.
      if (problems.length > 0) logger.warn({ model: model.name, version: model.version, problems }, 'invalid model on topic');
      models.offer(model);
    },
    { groupIdPrefix: `${config.TOPIC_PREFIX}trainer-models`, onFatal, registry },
  );
  try {
    await follower.caughtUp;
  } catch (err) {
    await follower.stop();
    await producer.disconnect();
    throw err;
  }
  const clickhouse = createClickHouseClient(settingsFromEnv(config), { logger });
  logger.info({ model: config.MODEL_NAME, latestVersion: models.versionOf(config.MODEL_NAME) }, 'read models topic to its end');

  const service = new TrainerService({ config, clickhouse, producer, topics, models, metrics: createTrainerMetrics(registry), logger });
  return {
    service,
    follower,
    close: async () => {
      // Order: no new runs, end the current one (a fit in progress is cancelled; a publish in progress finishes) →
      // stop reading → flush → disconnect.
      await service.stop();
      await follower.stop();
      await producer.disconnect();
      await clickhouse.close();
    },
  };
}
