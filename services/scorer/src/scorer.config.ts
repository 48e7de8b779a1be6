import { commonEnv, env, loadConfig } from '@telltale/runtime';

const scorerEnv = {
  ...commonEnv,
  /** Consumer group on the features topic; instances of one group share its partitions. @default telltale-scorer */
  SCORER_GROUP_ID: env.string('telltale-scorer'),
  /** Which model (key on the models topic) scores the features. @default purchase_propensity */
  MODEL_NAME: env.string('purchase_propensity'),
  /** /healthz and /metrics. @default 9104 */
  ADMIN_PORT: env.port(9104),
};

export type ScorerConfig = ReturnType<typeof loadScorerConfig>;

export function loadScorerConfig(source: NodeJS.ProcessEnv = process.env) {
  return loadConfig(scorerEnv, source);
}
