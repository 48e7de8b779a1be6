import { commonEnv, env, loadConfig } from '@telltale/runtime';

export const collectorEnv = {
  ...commonEnv,
  /** HTTP port for /v1/batch, /healthz and /metrics. @default 8080 */
  PORT: env.port(8080),
  /** @default 0.0.0.0 */
  HOST: env.string('0.0.0.0'),
  /** Largest accepted request body, bytes (Segment's batch limit is 500 KB). @default 524288 */
  COLLECTOR_MAX_BODY_BYTES: env.int(512 * 1024, 1024),
  /** Most events in one batch. @default 500 */
  COLLECTOR_MAX_BATCH_EVENTS: env.int(500, 1),
  /** How long the producer holds records so concurrent requests share a produce request. @default 5 */
  COLLECTOR_LINGER_MS: env.int(5),
  /**
   * Origins whose pages may send events (CORS), comma-separated, or * for any: browser trackers post cross-origin.
   * @default *
   */
  COLLECTOR_CORS_ORIGINS: env.list('*', (o) => o === '*' || /^https?:\/\/[^/\s]+$/.test(o), 'expected * or origins like https://shop.example'),
  /**
   * Sources and their write keys: comma-separated `writeKey:sourceName` pairs. With neither this nor
   * COLLECTOR_SOURCES_FILE set, the collector runs in open development mode (no key needed, source `default`).
   */
  COLLECTOR_WRITE_KEYS: env.optionalString(),
  /** A JSON file of sources with per-source settings (CORS origins, IP policy, rate limit); see the README. */
  COLLECTOR_SOURCES_FILE: env.optionalString(),
  /**
   * Events per second each write key may send, sustained. NOTE: about what the whole pipeline keeps up with on 2 cores
   * (`pnpm bench e2e`), so one busy site meets the pipeline's own limit before this one, while a runaway client of one
   * key cannot take more than that from the others (README "Write keys and rate limits"). @default 5000
   */
  COLLECTOR_RATE_LIMIT_EVENTS_PER_S: env.int(5000, 1),
  /** Events a write key may send at once above the sustained rate (the token bucket's size): 10 s of it. @default 50000 */
  COLLECTOR_RATE_LIMIT_BURST: env.int(50_000, 1),
  /** Keep context.ip as sent by the client; off by default so no IP address is stored. @default false */
  COLLECTOR_KEEP_IP: env.boolean(false),
};

export type CollectorConfig = ReturnType<typeof loadCollectorConfig>;

export function loadCollectorConfig(vars: NodeJS.ProcessEnv = process.env) {
  return loadConfig(collectorEnv, vars);
}
