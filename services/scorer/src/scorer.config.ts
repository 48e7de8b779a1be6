import { commonEnv, env, loadConfig } from '@telltale/runtime';

const scorerEnv = {
  ...commonEnv,
  /** Consumer group on the features topic; instances of one group share its partitions. @default telltale-scorer */
  SCORER_GROUP_ID: env.string('telltale-scorer'),
  /** Which model (key on the models topic) scores the features. @default purchase_propensity */
  MODEL_NAME: env.string('purchase_propensity'),
  /**
   * How often the offsets of scored feature vectors are committed, ms (after their predictions are acknowledged, in
   * one request for every partition): not after each chunk, which cost the broker a request per partition and fetch
   * and the next fetch a round trip. A crash scores at most this much again (duplicate predictions, same values).
   * 0 commits after every chunk. @default 1000
   */
  SCORER_COMMIT_INTERVAL_MS: env.int(1000, 0),
  /** /healthz and /metrics. @default 9104 */
  ADMIN_PORT: env.port(9104),
};

export type ScorerConfig = ReturnType<typeof loadScorerConfig>;

export function loadScorerConfig(source: NodeJS.ProcessEnv = process.env) {
  return loadConfig(scorerEnv, source);
}
