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
  /**
   * Share of the older sessions held out, by a hash of the session id, for the test metrics (AUC, log loss, ECE).
   * @default 0.25
   */
  TRAINER_TEST_FRACTION: z.coerce.number().gt(0).lt(1).default(0.25),
  /**
   * Share of all sessions, the newest by start time, held out as the time-based holdout: the model trains on older
   * sessions only, is measured on these, and is compared with the live model on them. @default 0.2
   */
  TRAINER_HOLDOUT_FRACTION: z.coerce.number().gt(0).lt(1).default(0.2),
  /**
   * Newest labelled rows read per run. Bounds the query (the cost that grows: FINAL and a join over that many rows),
   * memory (about 120 bytes per row in columns) and the fit (a million rows fit in seconds, README "Model").
   * @default 200000
   */
  TRAINER_MAX_ROWS: env.int(200_000, 2),
  /**
   * Hours back from the label cutoff that one run reads snapshots from: what bounds the query's cost, which would
   * otherwise grow with history (the newest TRAINER_MAX_ROWS are taken from within it). A day: at the local traffic
   * generator's 100 events/s the newest 200,000 snapshots are the last hour, and a day still holds every hour of
   * the day once. Raise it for a source with fewer than TRAINER_MAX_ROWS snapshots a day, or to let the gated time
   * inputs in (they need 7 days of data). @default 24
   */
  TRAINER_WINDOW_H: env.int(24, 1),
  /**
   * Seconds before the window in which a session's purchases and bot events are still looked for, so a session that
   * began shortly before the window is labelled and filtered as a whole. The enricher's session timeout by default
   * (ENRICHER_SESSION_TIMEOUT_S). @default 1800
   */
  TRAINER_SESSION_SLACK_S: env.int(1800, 0),
  /** L2 penalty of the fit on the summed log loss (scikit-learn's 1/C); 0 = none. @default 1 */
  TRAINER_L2: z.coerce.number().gte(0).default(1),
  /**
   * Hour-of-day and weekend inputs: 'gated' offers them once the training data spans enough days (hours 7, weekend 28:
   * with less they encode "how long ago"), 'always', or 'never'. @default gated
   */
  TRAINER_TIME_FEATURES: z.enum(['gated', 'always', 'never']).default('gated'),
  /**
   * Which holdout metric decides whether a new model replaces the live one: 'log_loss' (promoted when not above the
   * live model's plus the tolerance), 'auc' (when not below the live model's minus the tolerance), or 'none' (every
   * model is promoted). Both models are measured on the same holdout rows. @default log_loss
   */
  TRAINER_PROMOTION_METRIC: z.enum(['log_loss', 'auc', 'none']).default('log_loss'),
  /** How much worse than the live model a new one may be on that metric and still replace it. @default 0 */
  TRAINER_PROMOTION_TOLERANCE: z.coerce.number().gte(0).default(0),
  /** Seed of the session hash that picks the test split; same seed, same split. @default telltale */
  TRAINER_SPLIT_SEED: env.string('telltale'),
  /** /healthz and /metrics. @default 9103 */
  ADMIN_PORT: env.port(9103),
};

export type TrainerConfig = ReturnType<typeof loadTrainerConfig>;

export function loadTrainerConfig(source: NodeJS.ProcessEnv = process.env) {
  return loadConfig(trainerEnv, source);
}
