import type { Model } from '@telltale/contracts';
import { trainModel, type Evaluation, type InputChoice, type TimeFeaturePolicy, type TrainingSet, type TrainingSplit } from '@telltale/model';

export const ALGORITHM = 'logistic_regression_newton_l2/@telltale/model';

export type SkipReason = 'too_few_rows' | 'one_class' | 'one_class_in_split';

/** A trained model before it is promoted: no version yet (one is claimed only when it is published). */
export interface Candidate {
  model: Omit<Model, 'version'>;
  split: TrainingSplit;
  test: Evaluation;
  holdout: Evaluation;
  dropped: InputChoice['dropped'];
  fit: { iterations: number; converged: boolean; ms: number };
  /** Event-time range of the rows read. */
  dataFromMs: number;
  dataToMs: number;
}

export type FitOutcome =
  | { kind: 'skipped'; reason: SkipReason; message: string; rows: number; positives: number }
  | { kind: 'trained'; candidate: Candidate };

export interface FitOptions {
  name: string;
  runId: string;
  minRows: number;
  testFraction: number;
  holdoutFraction: number;
  seed: string;
  l2: number;
  timeFeatures: TimeFeaturePolicy;
  /** Injected clock for trainedAt. */
  now: () => number;
}

/**
 * Decides whether the rows are worth a model, trains on the older sessions and measures on the held-out ones
 * (packages/model trainModel). Pure (no I/O), so the refusal rules are unit-tested without a broker or a database.
 */
export function fitModel(set: TrainingSet, opts: FitOptions): FitOutcome {
  let positives = 0;
  for (let i = 0; i < set.rows; i++) positives += set.labels[i]!;
  if (set.rows < opts.minRows) {
    return { kind: 'skipped', reason: 'too_few_rows', message: `${set.rows} labelled rows, fewer than the minimum of ${opts.minRows}`, rows: set.rows, positives };
  }
  const outcome = trainModel(set, opts);
  if (outcome.kind === 'skipped') return { ...outcome, rows: set.rows, positives };

  let dataFromMs = Number.POSITIVE_INFINITY;
  let dataToMs = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < set.rows; i++) {
    dataFromMs = Math.min(dataFromMs, set.eventTimeMs[i]!);
    dataToMs = Math.max(dataToMs, set.eventTimeMs[i]!);
  }
  const { test, holdout } = outcome;
  return {
    kind: 'trained',
    candidate: {
      model: {
        name: opts.name,
        trainedAt: opts.now(),
        algorithm: ALGORITHM,
        runId: opts.runId,
        ...outcome.model,
        metrics: {
          auc: test.auc,
          logLoss: test.logLoss,
          ece: test.ece,
          trainRows: outcome.trainRows,
          testRows: test.rows,
          positiveRate: outcome.trainPositiveRate,
          holdout: { fromTime: outcome.split.holdoutFromMs, rows: holdout.rows, auc: holdout.auc, logLoss: holdout.logLoss, ece: holdout.ece },
        },
      },
      split: outcome.split,
      test,
      holdout,
      dropped: outcome.dropped,
      fit: outcome.fit,
      dataFromMs,
      dataToMs,
    },
  };
}
