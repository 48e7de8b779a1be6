import { createClickHouseClient, settingsFromEnv, type ClickHouseClient } from '@telltale/clickhouse';
import { Analytics } from '@telltale/queries';
import type { Logger, ServiceDefinition } from '@telltale/runtime';
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
  async start(config, { logger, registry, health }) {
    const clickhouse = readOnlyClient(config, logger);
    const analytics = new Analytics(clickhouse, { modelName: config.MODEL_NAME });
    const readKeys = new ReadKeys(config.QUERY_READ_KEYS, { perSecond: config.QUERY_RATE_LIMIT_PER_S, burst: config.QUERY_RATE_LIMIT_BURST });
    const app = buildQueryServer({ analytics, readKeys, logger, registry, health });
    try {
      await app.listen({ port: config.PORT, host: config.HOST });
    } catch (err) {
      await clickhouse.close();
      throw new Error(`cannot listen on ${config.HOST}:${config.PORT}: ${(err as Error).message}`);
    }
    return {
      checks: {},
      describe: { port: config.PORT, readKeys: config.QUERY_READ_KEYS.map((k) => k.name), readOnly: config.QUERY_CLICKHOUSE_READONLY },
      // Order: stop taking requests (in-flight ones get their answer) → close ClickHouse's connections.
      async close() {
        await app.close();
        await clickhouse.close();
      },
    };
  },
};
