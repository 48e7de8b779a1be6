import { connectStage } from '@telltale/kafka';
import { Counter, loadTlsFiles, type ServiceDefinition } from '@telltale/runtime';
import { loadCollectorConfig, type CollectorConfig } from './collector.config';
import { OPEN_MODE_SOURCE, parseWriteKeys, readSourcesFile, SourceRegistry } from './collector-sources';
import { buildCollectorServer } from './collector.server';
import { Pseudonymiser } from './event-privacy';

/** The collector process: HTTP in, Avro records to events.raw out; /healthz and /metrics on its public port. */
export const collectorService: ServiceDefinition<CollectorConfig> = {
  name: 'collector',
  loadConfig: loadCollectorConfig,
  adminPort: () => null,
  async start(config, { logger, registry, health }) {
    // Read before anything connects: a bad certificate stops the start with the variable named.
    const https = loadTlsFiles('COLLECTOR', config.COLLECTOR_TLS_CERT_FILE, config.COLLECTOR_TLS_KEY_FILE);
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
      producer: { maxRequestBytes: config.KAFKA_MAX_REQUEST_BYTES, lingerMs: config.COLLECTOR_LINGER_MS, onProduceRequest: () => produceRequests.inc() },
      registry,
    });

    const sources = new SourceRegistry([
      ...(config.COLLECTOR_WRITE_KEYS ? parseWriteKeys(config.COLLECTOR_WRITE_KEYS) : []),
      ...(config.COLLECTOR_SOURCES_FILE ? readSourcesFile(config.COLLECTOR_SOURCES_FILE) : []),
    ]);
    logger.info(
      {
        ipMode: config.ipMode,
        pseudonymised: config.COLLECTOR_PSEUDONYMISE_SECRET !== undefined,
        scrubbedKeys: config.COLLECTOR_SCRUB_KEYS.anywhere.size + config.COLLECTOR_SCRUB_KEYS.traitsOnly.size + config.COLLECTOR_SCRUB_KEYS.paths.length,
        consent: config.consent,
        https: https !== null,
      },
      'privacy',
    );
    if (sources.open) {
      logger.warn({ source: OPEN_MODE_SOURCE }, 'open development mode: no write keys configured (COLLECTOR_WRITE_KEYS, COLLECTOR_SOURCES_FILE), every request is accepted');
    } else {
      logger.info({ sources: sources.sources.map((s) => s.name) }, 'write keys configured');
    }

    const app = buildCollectorServer({
      producer,
      deadLetters,
      topics,
      logger,
      registry,
      health,
      maxBodyBytes: config.COLLECTOR_MAX_BODY_BYTES,
      maxBatchEvents: config.COLLECTOR_MAX_BATCH_EVENTS,
      keepIp: config.ipMode === 'keep',
      privacy: {
        ipMode: config.ipMode,
        scrub: config.COLLECTOR_SCRUB_KEYS,
        pseudonymiser: config.COLLECTOR_PSEUDONYMISE_SECRET ? new Pseudonymiser(config.COLLECTOR_PSEUDONYMISE_SECRET) : null,
        consent: config.consent,
      },
      https,
      corsOrigins: config.COLLECTOR_CORS_ORIGINS,
      sources,
      // Limits are per write key: in open mode there is none to count by (and the bench and the fault suite's
      // throughput runs, which post without a key, measure the collector, not a limit).
      rateLimit: sources.open ? undefined : { eventsPerSecond: config.COLLECTOR_RATE_LIMIT_EVENTS_PER_S, burst: config.COLLECTOR_RATE_LIMIT_BURST },
    });
    try {
      await app.listen({ port: config.PORT, host: config.HOST });
    } catch (err) {
      await producer.disconnect();
      throw new Error(`cannot listen on ${config.HOST}:${config.PORT}: ${(err as Error).message}`);
    }

    return {
      checks: {},
      describe: { port: config.PORT, protocol: https ? 'https' : 'http', topic: topics.rawEvents.name },
      // Order: stop taking requests (in-flight ones finish and get their answer) → flush → disconnect.
      async close() {
        await app.close();
        await producer.disconnect();
      },
    };
  },
};
