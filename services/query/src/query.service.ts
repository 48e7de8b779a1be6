import { createClickHouseClient, settingsFromEnv, type ClickHouseClient } from '@telltale/clickhouse';
import { decodeExplanationHeader, PREDICTION_EXPLANATION_HEADER, topicsFor } from '@telltale/contracts';
import { createKafkaClient, followTopic } from '@telltale/kafka';
import { Analytics } from '@telltale/queries';
import { Counter, Gauge, loadTlsFiles, type Logger, type ServiceDefinition } from '@telltale/runtime';
import { LatestPredictions } from './latest-predictions';
import { loadQueryConfig, type QueryConfig } from './query.config';
import { buildQueryServer } from './query.server';
import { ReadKeys } from './read-keys';

/**
 * The API's only way to ClickHouse: a read-only client. With QUERY_CLICKHOUSE_READONLY=setting every query carries
 * readonly=1, so ClickHouse itself refuses a write even for a user that may write; with `user`, the user's profile is
 * read-only (Compose's telltale_reader).
 */
export function readOnlyClient(config: QueryConfig, logger?: Logger): ClickHouseClient {
  return createClickHouseClient({ ...settingsFromEnv(config), requestTimeoutMs: config.QUERY_TIMEOUT_MS }, { ...(logger ? { logger } : {}), readOnly: config.QUERY_CLICKHOUSE_READONLY });
}

export const queryService: ServiceDefinition<QueryConfig> = {
  name: 'query',
  loadConfig: loadQueryConfig,
  // /healthz and /metrics on the API's own port.
  adminPort: () => null,
  async start(config, { logger, registry, health, fail }) {
    const registers = [registry];
    // Whatever is acquired registers its close here; a failed start closes what was acquired, newest first.
    const closers: Array<() => Promise<void>> = [];
    const closeAll = async () => {
      for (const close of closers.reverse()) await close().catch((err: unknown) => logger.warn({ err: (err as Error).message }, 'close failed'));
    };
    try {
      const clickhouse = readOnlyClient(config, logger);
      closers.push(() => clickhouse.close());
      const analytics = new Analytics(clickhouse, { modelName: config.MODEL_NAME });
      const predictions = new LatestPredictions(analytics, { maxKeys: config.QUERY_PREDICTION_KEYS, maxIds: config.QUERY_PREDICTION_KEYS });
      new Gauge({ name: 'telltale_query_prediction_keys', help: 'User keys whose latest prediction is held in memory', registers, collect() { this.set(predictions.size.keys); } });
      new Counter({
        name: 'telltale_query_prediction_answers_total',
        help: 'GET /v1/users/{id}/prediction answers, by where the id was resolved: memory, or ClickHouse (first time asked)',
        labelNames: ['source'],
        registers,
        collect() {
          this.reset();
          this.inc({ source: 'memory' }, predictions.counts.memory);
          this.inc({ source: 'clickhouse' }, predictions.counts.clickhouse);
        },
      });

      // The topics, from now on: what happened before the start is in ClickHouse, asked once per id.
      const topics = topicsFor(config.TOPIC_PREFIX);
      const kafka = createKafkaClient({ brokers: config.KAFKA_BROKERS, clientId: 'query' }, logger, { registry });
      const follow = { fromBeginning: false, registry, onFatal: (err: Error) => fail('stopped following a topic', err) };
      const predictionFollower = await followTopic(
        kafka,
        topics.predictions,
        (p, _key, headers) => {
          const header = headers[PREDICTION_EXPLANATION_HEADER];
          predictions.record(p, decodeExplanationHeader(Array.isArray(header) ? header[0] : header));
        },
        { ...follow, groupIdPrefix: 'query-predictions' },
      );
      closers.push(() => predictionFollower.stop());
      const identityFollower = await followTopic(kafka, topics.identityLinks, (link) => predictions.link(link.anonymousId, link.userId), { ...follow, groupIdPrefix: 'query-identities' });
      closers.push(() => identityFollower.stop());

      const readKeys = new ReadKeys(config.QUERY_READ_KEYS, { perSecond: config.QUERY_RATE_LIMIT_PER_S, burst: config.QUERY_RATE_LIMIT_BURST });
      const https = loadTlsFiles('QUERY', config.QUERY_TLS_CERT_FILE, config.QUERY_TLS_KEY_FILE);
      const app = buildQueryServer({ analytics, predictions, readKeys, logger, registry, health, https });
      try {
        await app.listen({ port: config.PORT, host: config.HOST });
      } catch (err) {
        throw new Error(`cannot listen on ${config.HOST}:${config.PORT}: ${(err as Error).message}`);
      }
      closers.push(() => app.close());
      return {
        checks: { predictions: () => predictionFollower.health(), identities: () => identityFollower.health() },
        describe: { port: config.PORT, readKeys: config.QUERY_READ_KEYS.map((k) => k.name), readOnly: config.QUERY_CLICKHOUSE_READONLY },
        // Order: stop taking requests (in-flight ones get their answer) → stop following → close ClickHouse's connections.
        close: closeAll,
      };
    } catch (err) {
      await closeAll();
      throw err;
    }
  },
};
