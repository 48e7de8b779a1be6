import { clickhouseEnv } from '@telltale/clickhouse';
import { env, loadConfig } from '@telltale/runtime';
import { z } from 'zod';

/** One service whose /metrics the console reads. */
export interface MetricsTarget {
  /** The stage's name as shown (collector, enricher, ...). */
  name: string;
  /** Base URL; /metrics is appended. */
  url: string;
}

/** "name=http://host:port": a stage name and the base URL of its /metrics. */
export function parseMetricsTarget(item: string): MetricsTarget | undefined {
  const at = item.indexOf('=');
  if (at <= 0) return undefined;
  const name = item.slice(0, at).trim();
  const url = item.slice(at + 1).trim();
  if (!/^[a-z][a-z0-9_-]*$/.test(name)) return undefined;
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return undefined;
  } catch {
    return undefined;
  }
  return { name, url: url.replace(/\/+$/, '') };
}

const consoleEnv = {
  ...clickhouseEnv,
  /** The page, its data stream, /healthz and /metrics. @default 8090 */
  PORT: env.port(8090),
  /** @default 0.0.0.0 */
  HOST: env.string('0.0.0.0'),
  /**
   * Whose /metrics to read, as name=url pairs. @default the five stages on their default ports
   * (collector=http://127.0.0.1:8080, enricher …:9101, sink …:9102, trainer …:9103, scorer …:9104)
   */
  CONSOLE_METRICS_TARGETS: env
    .list(
      'collector=http://127.0.0.1:8080,enricher=http://127.0.0.1:9101,sink=http://127.0.0.1:9102,trainer=http://127.0.0.1:9103,scorer=http://127.0.0.1:9104',
      (item) => parseMetricsTarget(item) !== undefined,
      'expected name=http://host:port[,name=http://host:port…] with lowercase names',
    )
    .transform((items) => items.map((item) => parseMetricsTarget(item)!)),
  /** How often the console reads its sources and pushes a snapshot to the open pages, ms. @default 2000 */
  CONSOLE_REFRESH_MS: env.int(2_000, 250),
  /** The funnel and the score distribution cover the events of this many last minutes. @default 15 */
  CONSOLE_WINDOW_MIN: env.int(15, 1),
  /** The pipeline's topic prefix (as the services have it), left out of the topic names the page shows. @default '' */
  TOPIC_PREFIX: z.string().default(''),
  /** Whose versions and AUC the model chart shows. @default purchase_propensity */
  MODEL_NAME: env.string('purchase_propensity'),
  /**
   * How reads are kept read-only. `setting`: each query carries readonly=1 (the embedded chdb-server, or a user that
   * may write); `user`: CLICKHOUSE_USER's profile is read-only already, readonly=1 or 2 (ClickHouse then refuses a
   * readonly setting from it, so none is sent; e.g. Compose's telltale_reader). @default setting
   */
  CONSOLE_CLICKHOUSE_READONLY: z.enum(['setting', 'user']).default('setting'),
  /** pino level. @default info */
  LOG_LEVEL: env.logLevel(),
};

export type ConsoleConfig = ReturnType<typeof loadConsoleConfig>;

export function loadConsoleConfig(source: NodeJS.ProcessEnv = process.env) {
  return loadConfig(consoleEnv, source);
}
