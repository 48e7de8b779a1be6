import { createClickHouseClient, settingsFromEnv } from '@telltale/clickhouse';
import { Counter, Gauge, Histogram, type ServiceDefinition } from '@telltale/runtime';
import { loadConsoleConfig, type ConsoleConfig } from './console.config';
import { startConsoleServer } from './console.server';
import { LiveViewSampler } from './live-view.sampler';

export const consoleService: ServiceDefinition<ConsoleConfig> = {
  name: 'console',
  loadConfig: loadConsoleConfig,
  // /healthz and /metrics are served on the page's own port (one port to open, one to probe).
  adminPort: () => null,
  start: async (config, { logger, registry, health }) => {
    const clickhouse = createClickHouseClient(
      { ...settingsFromEnv(config), requestTimeoutMs: Math.max(config.CONSOLE_REFRESH_MS * 2, 5_000) },
      // Quiet: a table not migrated yet fails every refresh; the page and telltale_console_source_errors_total say so.
      { logger: logger.child({}, { level: 'error' }), readOnly: config.CONSOLE_CLICKHOUSE_READONLY },
    );
    const registers = [registry];
    const sampler = new LiveViewSampler({
      clickhouse,
      targets: config.CONSOLE_METRICS_TARGETS,
      refreshMs: config.CONSOLE_REFRESH_MS,
      windowMin: config.CONSOLE_WINDOW_MIN,
      modelName: config.MODEL_NAME,
      topicPrefix: config.TOPIC_PREFIX,
      logger,
      metrics: {
        refreshes: new Counter({ name: 'telltale_console_refreshes_total', help: 'Refreshes of the live view, complete or with a source missing', labelNames: ['outcome'], registers }),
        sourceErrors: new Counter({ name: 'telltale_console_source_errors_total', help: 'Reads that failed, by source', labelNames: ['source'], registers }),
        refreshSeconds: new Histogram({
          name: 'telltale_console_refresh_seconds',
          help: 'Time to read every source once',
          buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5],
          registers,
        }),
      },
    });
    const server = await startConsoleServer({
      port: config.PORT,
      host: config.HOST,
      source: sampler,
      registry,
      checks: health,
      viewers: new Gauge({ name: 'telltale_console_viewers', help: 'Pages holding the live stream open', registers }),
    }).catch(async (err: unknown) => {
      await clickhouse.close();
      throw err;
    });
    sampler.start();
    return {
      checks: { refresh: () => sampler.health() },
      // Stop order: no new viewers or pushes, then the reads in flight, then the ClickHouse connections.
      close: async () => {
        await server.close();
        await sampler.stop();
        await clickhouse.close();
      },
      describe: { url: `http://127.0.0.1:${server.port}/`, targets: config.CONSOLE_METRICS_TARGETS.map((t) => t.name), readOnly: config.CONSOLE_CLICKHOUSE_READONLY },
    };
  },
};
