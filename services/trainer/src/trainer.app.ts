import { createClickHouseClient, settingsFromEnv } from '@telltale/clickhouse';
import { connectStage } from '@telltale/kafka';
import type { Logger, Registry, ServiceDefinition } from '@telltale/runtime';
import { loadTrainerConfig, type TrainerConfig } from './trainer.config';
import { createTrainerMetrics } from './trainer.metrics';
import { TrainerService, type TrainerDeps } from './trainer.service';

export interface TrainerApp {
  service: TrainerService;
  /** Stops the service (cancelling a fit in progress, finishing a publish in progress), then the producer and ClickHouse client. */
  close(): Promise<void>;
}

/** Service mode: a training run now, then every TRAINER_INTERVAL_S after the previous one ended. */
export const trainerService: ServiceDefinition<TrainerConfig> = {
  name: 'trainer',
  loadConfig: loadTrainerConfig,
  adminPort: (config) => config.ADMIN_PORT,
  start: async (config, { logger, registry }) => {
    const app = await startTrainerApp(config, logger, registry);
    app.service.start();
    return {
      checks: { trainer: () => app.service.health() },
      close: () => app.close(),
      describe: { model: config.MODEL_NAME, intervalS: config.TRAINER_INTERVAL_S },
    };
  },
};

/**
 * Connects everything a trainer needs. It keeps no copy of the models topic: each publish reads it to its end under
 * a fenced writer (model-publisher.ts), which is what makes versions unique. Used by main.ts and the tests.
 */
export async function startTrainerApp(
  config: TrainerConfig,
  logger: Logger,
  registry: Registry,
  opts: { beforeCommit?: TrainerDeps['beforeCommit'] } = {},
): Promise<TrainerApp> {
  // Connecting the stage creates missing topics; models go through the fenced writer, not this producer.
  const { topics, client: kafka, producer } = await connectStage({
    stage: 'trainer',
    brokers: config.KAFKA_BROKERS,
    topicPrefix: config.TOPIC_PREFIX,
    logger,
    producer: { maxRequestBytes: config.KAFKA_MAX_REQUEST_BYTES, lingerMs: 0 },
    registry,
  });
  const clickhouse = createClickHouseClient(settingsFromEnv(config), { logger });
  const service = new TrainerService({
    config,
    clickhouse,
    kafka,
    topics,
    metrics: createTrainerMetrics(registry),
    logger,
    beforeCommit: opts.beforeCommit,
  });
  return {
    service,
    close: async () => {
      // Order: no new runs, end the current one (a fit in progress is cancelled; a publish in progress finishes) →
      // disconnect.
      await service.stop();
      await producer.disconnect();
      await clickhouse.close();
    },
  };
}
