import type { CleanEvent, FeatureVector, RawEvent } from '@telltale/contracts';
import { BatchConsumer, connectStage, rejectionOf, type AvroProducer, type ConsumedRecord, type OversizeRecord, type Rejection } from '@telltale/kafka';
import { Counter, Gauge, type ServiceContext, type ServiceDefinition, type StartedService } from '@telltale/runtime';
import { loadEnricherConfig, type EnricherConfig } from './enricher.config';
import { EventEnricher } from './event-enricher';

/** What the handler sends clean events and feature vectors through. */
export type EnricherProducer = Pick<AvroProducer, 'sendFitting'>;

export interface EnricherDeps {
  /** Wraps the stage's producer for the handler's sends (tests inject failing sends here). @default the producer itself */
  wrapProducer?: (producer: AvroProducer) => EnricherProducer;
}

export function createEnricherService(deps: EnricherDeps = {}): ServiceDefinition<EnricherConfig> {
  return {
    name: 'enricher',
    loadConfig: loadEnricherConfig,
    adminPort: (config) => config.ADMIN_PORT,
    start: (config, ctx) => startEnricher(config, ctx, deps),
  };
}

export const enricherService = createEnricherService();

async function startEnricher(config: EnricherConfig, { logger, registry, fail }: ServiceContext, deps: EnricherDeps): Promise<StartedService> {
  const { topics, client, producer, deadLetters } = await connectStage({
    stage: 'enricher',
    brokers: config.KAFKA_BROKERS,
    topicPrefix: config.TOPIC_PREFIX,
    logger,
    producer: { maxRequestBytes: config.KAFKA_MAX_REQUEST_BYTES },
  });
  const output: EnricherProducer = deps.wrapProducer?.(producer) ?? producer;

  const enricher = new EventEnricher({
    sessionTimeoutMs: config.ENRICHER_SESSION_TIMEOUT_S * 1000,
    dedupeCapacity: config.ENRICHER_DEDUPE_CAPACITY,
    maxUsers: config.ENRICHER_MAX_USERS,
    maxFutureMs: config.ENRICHER_MAX_FUTURE_S * 1000,
  });

  const outcomes = new Counter({
    name: 'telltale_enricher_events_total',
    help: 'Raw events by outcome (enriched, duplicate, rejected; too_large: an output exceeded its topic limit and the event was dead-lettered)',
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

  /**
   * NOTE: the enricher's memory (seen messageIds, session counters) moves only once every output of the chunk is
   * acknowledged. A send that fails throws, the chunk is fetched again, and enriching it again against the same
   * state gives the same clean events, session ids and counters; remembering first would make the retry all
   * "duplicates" and commit offsets for events that were never produced.
   */
  async function handle(records: Array<ConsumedRecord<RawEvent>>): Promise<void> {
    const batch = enricher.enrichBatch(records.map((r) => r.value));
    const clean: Array<{ key: string; value: CleanEvent }> = [];
    const cleanFrom: Array<ConsumedRecord<RawEvent>> = [];
    const features: Array<{ key: string; value: FeatureVector }> = [];
    const featuresFrom: Array<ConsumedRecord<RawEvent>> = [];
    const rejected: Rejection[] = [];
    batch.results.forEach((result, i) => {
      const record = records[i]!;
      if (result.outcome === 'enriched') {
        clean.push({ key: result.clean.userKey, value: result.clean });
        cleanFrom.push(record);
        if (result.features) {
          features.push({ key: result.features.userKey, value: result.features });
          featuresFrom.push(record);
        }
      } else if (result.outcome === 'rejected') {
        logger.warn(
          { topic: record.topic, partition: record.partition, offset: record.offset, messageId: record.value.messageId, ...result.failure },
          'event rejected',
        );
        rejected.push(rejectionOf(record, result.failure));
      }
    });

    const [cleanTooLarge, featuresTooLarge] = await Promise.all([
      output.sendFitting(topics.cleanEvents, clean),
      output.sendFitting(topics.features, features),
      deadLetters.publish(rejected),
    ]);
    // An output too large for its topic can never be produced: the raw event it came from goes to the dead-letter
    // topic with the reason, and its neighbours go on.
    const tooLarge = [...tooLargeRejections(cleanTooLarge, cleanFrom), ...tooLargeRejections(featuresTooLarge, featuresFrom)];
    if (tooLarge.length > 0) await deadLetters.publish(tooLarge);

    batch.commit();
    // Counted once the chunk is done, so a retried chunk is not counted twice.
    batch.results.forEach((result) => outcomes.inc({ outcome: result.outcome }));
    if (tooLarge.length > 0) outcomes.inc({ outcome: 'too_large' }, tooLarge.length);
    const last = clean[clean.length - 1];
    if (last) lagSeconds.set((last.value.enrichedAt - last.value.receivedAt) / 1000);
  }

  function tooLargeRejections(oversize: OversizeRecord[], from: Array<ConsumedRecord<RawEvent>>): Rejection[] {
    return oversize.map((o) => {
      const record = from[o.index]!;
      logger.warn({ topic: record.topic, partition: record.partition, offset: record.offset, messageId: record.value.messageId, reason: o.reason }, 'output too large');
      return rejectionOf(record, { reason: o.reason, field: null });
    });
  }

  const consumer = new BatchConsumer(client, {
    groupId: config.ENRICHER_GROUP_ID,
    subscriptions: [{ topic: topics.rawEvents, handle }],
    deadLetters,
    registry,
    // kafkajs gave up (a non-retriable error): stop in order and exit 1, so the supervisor restarts the process.
    onFatal: (err) => fail(`consumer of ${topics.rawEvents.name} gave up`, err),
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
