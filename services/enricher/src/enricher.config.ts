import { commonEnv, env, loadConfig } from '@telltale/runtime';

export const enricherEnv = {
  ...commonEnv,
  /** /healthz and /metrics. @default 9101 */
  ADMIN_PORT: env.port(9101),
  /** @default telltale-enricher */
  ENRICHER_GROUP_ID: env.string('telltale-enricher'),
  /** Inactivity that ends a session, seconds (the web-analytics convention is 30 min). @default 1800 */
  ENRICHER_SESSION_TIMEOUT_S: env.int(1800, 1),
  /** messageIds remembered for de-duplication (a retried batch repeats them). @default 500000 */
  ENRICHER_DEDUPE_CAPACITY: env.int(500_000, 1),
  /** Users whose session state is kept in memory; the least recently active are forgotten first. @default 200000 */
  ENRICHER_MAX_USERS: env.int(200_000, 1),
  /** Client timestamps further in the future than this are replaced by the receive time, seconds. @default 300 */
  ENRICHER_MAX_FUTURE_S: env.int(300),
};

export type EnricherConfig = ReturnType<typeof loadEnricherConfig>;

export function loadEnricherConfig(vars: NodeJS.ProcessEnv = process.env) {
  return loadConfig(enricherEnv, vars);
}
