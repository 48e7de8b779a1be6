import { clickhouseEnv } from '@telltale/clickhouse';
import { commonEnv, env, loadConfig } from '@telltale/runtime';

export const sinkEnv = {
  ...commonEnv,
  ...clickhouseEnv,
  /** /healthz and /metrics. @default 9102 */
  ADMIN_PORT: env.port(9102),
  /** @default telltale-sink */
  SINK_GROUP_ID: env.string('telltale-sink'),
  /** The broker waits for this many bytes (or SINK_MAX_WAIT_MS) before answering a fetch: fewer, bigger inserts. @default 65536 */
  SINK_MIN_BYTES: env.int(64 * 1024, 1),
  /** Longest a fetch waits for SINK_MIN_BYTES, i.e. the added latency at low traffic. @default 1000 */
  SINK_MAX_WAIT_MS: env.int(1000, 1),
  /**
   * Most rows one insert takes from one partition's fetch (bigger inserts are cheaper for ClickHouse; this bounds the
   * sink's memory and the work redone after a crash). @default 5000
   */
  SINK_MAX_BATCH_ROWS: env.int(5000, 1),
  /** Attempts for an insert that failed with a retriable error before the batch is handed back to Kafka. @default 5 */
  SINK_INSERT_RETRIES: env.int(5),
};

export type SinkConfig = ReturnType<typeof loadSinkConfig>;

export function loadSinkConfig(vars: NodeJS.ProcessEnv = process.env) {
  return loadConfig(sinkEnv, vars);
}
