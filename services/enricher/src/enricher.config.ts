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
   * telltale_enricher_state_evictions_total). About 150 bytes of memory each. @default 500000
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
  /** Longest a partition's state restore may take before the enricher gives up on the batch (and retries). @default 300 */
  ENRICHER_RESTORE_TIMEOUT_S: env.int(300, 1),
  /** Client timestamps further in the future than this are replaced by the receive time, seconds. @default 300 */
  ENRICHER_MAX_FUTURE_S: env.int(300),
};

export type EnricherConfig = ReturnType<typeof loadEnricherConfig>;

export function loadEnricherConfig(vars: NodeJS.ProcessEnv = process.env) {
  return loadConfig(enricherEnv, vars);
}
