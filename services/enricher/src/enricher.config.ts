import { commonEnv, env, loadConfig } from '@telltale/runtime';

export const enricherEnv = {
  ...commonEnv,
  /** /healthz and /metrics. @default 9101 */
  ADMIN_PORT: env.port(9101),
  /** @default telltale-enricher */
  ENRICHER_GROUP_ID: env.string('telltale-enricher'),
  /** Inactivity that ends a session, seconds (the web-analytics convention is 30 min). @default 1800 */
  ENRICHER_SESSION_TIMEOUT_S: env.int(1800, 1),
  /** How long a messageId is remembered for de-duplication, seconds of collector receive time. @default 86400 (24 h) */
  ENRICHER_DEDUPE_WINDOW_S: env.int(86_400, 1),
  /**
   * Most messageIds remembered per partition of events.raw; beyond it the oldest are forgotten early (counted in
   * telltale_enricher_state_evictions_total). At most 50 bytes of memory each (a 64-bit fingerprint and a receive time in typed arrays), about 10 of changelog. @default 500000
   */
  ENRICHER_DEDUPE_CAPACITY: env.int(500_000, 1),
  /** Most visitors (session and identity link) kept per partition; the least recently active are forgotten first. @default 200000 */
  ENRICHER_MAX_USERS: env.int(200_000, 1),
  /**
   * How far behind the visitor's latest event time an event may be and still join its session, seconds (capped at
   * the session timeout); later events are dead-lettered. @default 300
   */
  ENRICHER_LATENESS_S: env.int(300),
  /**
   * Most of a session's latest events kept per visitor (all those within the lateness bound, up to this many), from
   * which a late event's features leave out the events after it; a late event older than the dropped ones gets a
   * lower bound (README "Late events"). About 77 bytes of memory and 9 of changelog each. @default 16
   */
  ENRICHER_LATE_EVENTS_KEPT: env.int(16, 1),
  /**
   * Most heap one partition's state may take, MiB, by the measured cost of its entries (README "State design and its
   * cost"); beyond it the oldest messageIds and least recently active visitors are forgotten first. Per partition,
   * like the counts, so that what is forgotten never depends on how many partitions an instance holds: an instance
   * holds at most this times its partitions. @default 192 (below the ~220-360 MB the counts allow per partition)
   */
  ENRICHER_STATE_MAX_MIB: env.int(192, 1),
  /** Longest a partition's state restore may take before the enricher gives up on the batch (and retries). @default 300 */
  ENRICHER_RESTORE_TIMEOUT_S: env.int(300, 1),
  /**
   * Least time between the starts of two of the instance's transactions, ms: outputs, state and offsets of every
   * partition the instance owns are committed together, at most once per interval. Shorter: less latency, more
   * transactions (each costs the broker several ms of CPU however many records it holds; README "Enricher
   * transactions"). Kafka Streams' exactly-once default is 100. @default 40
   */
  ENRICHER_COMMIT_INTERVAL_MS: env.int(40, 0),
  /**
   * The instance's transactional id is `<ENRICHER_GROUP_ID>.<this>`. Two live instances must not share it (the later
   * fences the earlier); a restarted instance should reuse it, so that the transaction its predecessor left open is
   * aborted at once rather than after the 10 s transaction timeout. @default `<hostname>:<ADMIN_PORT>` (unique among
   * live instances on a host, stable across restarts), or a random id when ADMIN_PORT is 0
   */
  ENRICHER_INSTANCE_ID: env.optionalString(),
  /** Client timestamps further in the future than this are replaced by the receive time, seconds. @default 300 */
  ENRICHER_MAX_FUTURE_S: env.int(300),
};

export type EnricherConfig = ReturnType<typeof loadEnricherConfig>;

export function loadEnricherConfig(vars: NodeJS.ProcessEnv = process.env) {
  return loadConfig(enricherEnv, vars);
}
