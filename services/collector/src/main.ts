import { connectStage } from '@telltale/kafka';
import { Counter, ServiceLifecycle, createLogger, createMetricsRegistry, runMain } from '@telltale/runtime';
import { loadCollectorConfig } from './collector.config';
import { buildCollectorServer } from './collector.server';

runMain(async () => {
  const config = loadCollectorConfig();
  const logger = createLogger('collector', config.LOG_LEVEL);
  const registry = createMetricsRegistry('collector');
  const lifecycle = new ServiceLifecycle(logger);
  lifecycle.installSignalHandlers();

  const produceRequests = new Counter({
    name: 'telltale_collector_produce_requests_total',
    help: 'Produce requests sent to Kafka (requests arriving within COLLECTOR_LINGER_MS share one)',
    registers: [registry],
  });
  const { topics, producer, deadLetters } = await connectStage({
    stage: 'collector',
    brokers: config.KAFKA_BROKERS,
    topicPrefix: config.TOPIC_PREFIX,
    logger,
    producer: { lingerMs: config.COLLECTOR_LINGER_MS, onProduceRequest: () => produceRequests.inc() },
  });

  let accepting = true;
  const app = buildCollectorServer({
    producer,
    deadLetters,
    topics,
    logger,
    registry,
    health: { accepting: () => (accepting ? { ok: true } : { ok: false, detail: 'shutting down' }) },
    maxBodyBytes: config.COLLECTOR_MAX_BODY_BYTES,
    maxBatchEvents: config.COLLECTOR_MAX_BATCH_EVENTS,
    keepIp: config.COLLECTOR_KEEP_IP,
    corsOrigins: config.COLLECTOR_CORS_ORIGINS,
  });
  await app.listen({ port: config.PORT, host: config.HOST });
  logger.info({ port: config.PORT, topic: topics.rawEvents.name }, 'collector listening');

  // Order: stop taking requests (in-flight ones finish and get their answer) → flush → disconnect.
  lifecycle.onStop('http', async () => {
    accepting = false;
    await app.close();
  });
  lifecycle.onStop('producer', () => producer.disconnect());
});
