import { z } from 'zod';
import { clickhouseEnv } from '@telltale/clickhouse';
import { commonEnv, env, loadConfig } from '@telltale/runtime';

const trainerEnv = {
  ...commonEnv,
  ...clickhouseEnv,
  /** Name the model is published under (the key on the models topic). @default purchase_propensity */
  MODEL_NAME: env.string('purchase_propensity'),
  /** Seconds between the end of one training run and the start of the next (service mode). @default 30 */
  TRAINER_INTERVAL_S: env.int(30, 1),
  /** Fewer labelled rows than this and nothing is published. @default 200 */
  TRAINER_MIN_ROWS: env.int(200, 2),
  /**
   * Only snapshots at least this old are labelled: a younger session may still convert, and labelling it
   * "no purchase" now would teach the model wrong negatives. @default 30
   */
  TRAINER_LABEL_DELAY_S: env.int(30, 0),
  /** Share of sessions held out for AUC and log loss (split by session, never by row). @default 0.25 */
  TRAINER_TEST_FRACTION: z.coerce.number().gt(0).lt(1).default(0.25),
  /** Newest labelled rows read per run; bounds memory and training time. @default 200000 */
  TRAINER_MAX_ROWS: env.int(200_000, 2),
  /**
   * Gradient-descent step size on the mean log-loss gradient of standardised features. Above ~0.6 it can
   * oscillate when features are strongly correlated (session_events vs session_page_views). @default 0.5
   */
  TRAINER_LEARNING_RATE: z.coerce.number().gt(0).lte(10).default(0.5),
  /**
   * Full-batch gradient steps. NOTE: ml-logistic-regression costs ~2 ms per step per 1 000 rows here and blocks
   * the event loop meanwhile; raise with care. @default 200
   */
  TRAINER_STEPS: env.int(200, 1),
  /** Seed of the session hash that picks the test split; same seed, same split. @default telltale */
  TRAINER_SPLIT_SEED: env.string('telltale'),
  /** /healthz and /metrics. @default 9103 */
  ADMIN_PORT: env.port(9103),
};

export type TrainerConfig = ReturnType<typeof loadTrainerConfig>;

export function loadTrainerConfig(source: NodeJS.ProcessEnv = process.env) {
  return loadConfig(trainerEnv, source);
}
