import type { CleanEvent, FeatureVector, RawEvent } from '@telltale/contracts';
import { BatchConsumer, connectStage, rejectionOf, type ConsumedRecord, type Rejection } from '@telltale/kafka';
import { Counter, Gauge, type ServiceContext, type ServiceDefinition, type StartedService } from '@telltale/runtime';
import { loadEnricherConfig, type EnricherConfig } from './enricher.config';
import { EventEnricher } from './event-enricher';

export const enricherService: ServiceDefinition<EnricherConfig> = {
  name: 'enricher',
  loadConfig: loadEnricherConfig,
  adminPort: (config) => config.ADMIN_PORT,
  start: startEnricher,
};

async function startEnricher(config: EnricherConfig, { logger, registry }: ServiceContext): Promise<StartedService> {
  const { topics, client, producer, deadLetters } = await connectStage({
    stage: 'enricher',
    brokers: config.KAFKA_BROKERS,
    topicPrefix: config.TOPIC_PREFIX,
    logger,
  });

  const enricher = new EventEnricher({
    sessionTimeoutMs: config.ENRICHER_SESSION_TIMEOUT_S * 1000,
    dedupeCapacity: config.ENRICHER_DEDUPE_CAPACITY,
    maxUsers: config.ENRICHER_MAX_USERS,
    maxFutureMs: config.ENRICHER_MAX_FUTURE_S * 1000,
  });

  const outcomes = new Counter({
    name: 'telltale_enricher_events_total',
    help: 'Raw events by outcome (enriched, duplicate, rejected)',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const lagSeconds = new Gauge({
    name: 'telltale_enricher_last_event_delay_seconds',
    help: 'Collector receive time to enrichment, for the last event processed',
    registers: [registry],
  });
  new Gauge({
    name: 'telltale_enricher_tracked_users',
    help: 'Users with session state in memory',
    registers: [registry],
    collect() {
      this.set(enricher.trackedUsers);
    },
  });

  async function handle(records: Array<ConsumedRecord<RawEvent>>): Promise<void> {
    const clean: Array<{ key: string; value: CleanEvent }> = [];
    const features: Array<{ key: string; value: FeatureVector }> = [];
    const rejected: Rejection[] = [];
    for (const record of records) {
      const result = enricher.enrich(record.value);
      outcomes.inc({ outcome: result.outcome });
      if (result.outcome === 'enriched') {
        clean.push({ key: result.clean.userKey, value: result.clean });
        if (result.features) features.push({ key: result.features.userKey, value: result.features });
        lagSeconds.set((result.clean.enrichedAt - result.clean.receivedAt) / 1000);
      } else if (result.outcome === 'rejected') {
        logger.warn(
          { topic: record.topic, partition: record.partition, offset: record.offset, messageId: record.value.messageId, ...result.failure },
          'event rejected',
        );
        rejected.push(rejectionOf(record, result.failure));
      }
    }
    // The batch's offsets are committed after this resolves: every output must be acknowledged first.
    await Promise.all([
      producer.send(topics.cleanEvents, clean),
      producer.send(topics.features, features),
      deadLetters.publish(rejected),
    ]);
  }

  const consumer = new BatchConsumer(client, {
    groupId: config.ENRICHER_GROUP_ID,
    subscriptions: [{ topic: topics.rawEvents, handle }],
    deadLetters,
    registry,
  });
  await consumer.start();

  return {
    checks: { consumer: () => consumer.health() },
    describe: { from: topics.rawEvents.name, groupId: config.ENRICHER_GROUP_ID },
    // Order: finish the batch in progress (outputs acknowledged, offsets committed), leave the group, flush.
    async close() {
      await consumer.stop();
      await producer.disconnect();
    },
  };
}
