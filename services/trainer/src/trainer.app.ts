import { createClickHouseClient, settingsFromEnv, type ClickHouseClient } from '@telltale/clickhouse';
import { topicsFor, type Model } from '@telltale/contracts';
import { AvroProducer, createKafkaClient, ensureTopics, followTopic, type TopicFollower } from '@telltale/kafka';
import { LatestModels, validateLinearModel } from '@telltale/model';
import type { Logger, Registry } from '@telltale/runtime';
import type { TrainerConfig } from './trainer.config';
import { createTrainerMetrics } from './trainer.metrics';
import { TrainerService } from './trainer.service';

export interface TrainerApp {
  service: TrainerService;
  /** Stops the service (finishing a run in progress), then the follower, producer and ClickHouse client. */
  close(): Promise<void>;
}

/**
 * Connects everything a trainer needs and waits until it knows the latest published version (the models topic
 * read to its end), so the first model it publishes gets the right version. Used by main.ts and the tests.
 */
export async function startTrainerApp(config: TrainerConfig, logger: Logger, registry: Registry): Promise<TrainerApp> {
  const topics = topicsFor(config.TOPIC_PREFIX);
  const kafka = createKafkaClient({ brokers: config.KAFKA_BROKERS, clientId: `trainer-${config.MODEL_NAME}` }, logger);
  await ensureTopics(kafka, [topics.models]);

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
    { groupIdPrefix: `${config.TOPIC_PREFIX}trainer-models` },
  );
  const producer = new AvroProducer(kafka, { lingerMs: 0 });
  let clickhouse: ClickHouseClient | undefined;
  try {
    await follower.caughtUp;
    await producer.connect();
    clickhouse = createClickHouseClient(settingsFromEnv(config), { logger });
  } catch (err) {
    await follower.stop();
    throw err;
  }
  logger.info({ model: config.MODEL_NAME, latestVersion: models.versionOf(config.MODEL_NAME) }, 'read models topic to its end');

  const service = new TrainerService({ config, clickhouse, producer, topics, models, metrics: createTrainerMetrics(registry), logger });
  const ch = clickhouse;
  return {
    service,
    close: async () => {
      // Order: no new runs, finish the current one (it may be publishing) → stop reading → flush → disconnect.
      await service.stop();
      await follower.stop();
      await producer.disconnect();
      await ch.close();
    },
  };
}
