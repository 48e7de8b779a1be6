import { clickhouseEnv } from '@telltale/clickhouse';
import { commonEnv, env, loadConfig } from '@telltale/runtime';

export const sinkEnv = {
  ...commonEnv,
  ...clickhouseEnv,
  /** /healthz and /metrics. @default 9102 */
  ADMIN_PORT: env.port(9102),
  /** @default telltale-sink */
  SINK_GROUP_ID: env.string('telltale-sink'),
  /**
   * The broker waits for this many bytes (or SINK_MAX_WAIT_MS) before answering a fetch: fewer, bigger inserts.
   * NOTE: at 64 KiB a fetch came back every ~25 ms at 2,500 events/s, one insert per topic and partition each:
   * ClickHouse then spent ~170 µs of CPU per event; at 8 MiB a fetch waits SINK_MAX_WAIT_MS below that rate, and
   * ClickHouse took ~90 µs (`pnpm bench e2e`, README). @default 8388608 (8 MiB)
   */
  SINK_MIN_BYTES: env.int(8 * 1024 * 1024, 1),
  /**
   * Longest a fetch waits for SINK_MIN_BYTES, i.e. the sink's added latency below that many bytes a fetch. NOTE: with
   * one insert per table per fetch, 1000 ms put event → queryable p95 just over 2 s at 2,500 events/s. @default 500
   */
  SINK_MAX_WAIT_MS: env.int(500, 1),
  /**
   * Most rows one insert takes from one partition's fetch (bigger inserts are cheaper for ClickHouse; this bounds the
   * sink's memory and the work redone after a crash). NOTE: 20,000-row inserts cost ClickHouse about a third less CPU
   * per row than 5,000-row ones (`pnpm bench e2e`, README Benchmark). @default 20000
   */
  SINK_MAX_BATCH_ROWS: env.int(20_000, 1),
  /**
   * Most bytes one fetch brings per partition: with a backlog, what one insert can hold (a clean event is ~0.5 KB
   * in Avro, so the default lets an insert reach SINK_MAX_BATCH_ROWS). @default 8388608 (8 MiB)
   */
  SINK_MAX_FETCH_BYTES_PER_PARTITION: env.int(8 * 1024 * 1024, 64 * 1024),
  /**
   * Partitions whose chunks are handled at once (order is kept within each): the chunks of one table that are handled
   * together go into one insert (MergedInserts), so by default every partition of a fetch (5 topics × 3 partitions)
   * is, and a fetch makes one insert per table rather than one per partition. Memory stays bounded by the fetch
   * (twice SINK_MAX_FETCH_BYTES_PER_PARTITION). @default 15
   */
  SINK_PARTITIONS_CONCURRENTLY: env.int(15, 1),
  /** Attempts for an insert that failed with a retriable error before the batch is handed back to Kafka. @default 5 */
  SINK_INSERT_RETRIES: env.int(5),
};

export type SinkConfig = ReturnType<typeof loadSinkConfig>;

export function loadSinkConfig(vars: NodeJS.ProcessEnv = process.env) {
  return loadConfig(sinkEnv, vars);
}
