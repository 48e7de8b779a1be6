import type { Model } from '@telltale/contracts';
import { collectFeatureNames, logLoss, rocAuc, scoreProbability, splitBySession, trainLogisticRegression } from '@telltale/model';
import type { TrainingRow } from './training-data';

export const ALGORITHM = 'logistic_regression_gd/ml-logistic-regression@2.0.0';

export type SkipReason = 'too_few_rows' | 'one_class' | 'one_class_in_split';

export type FitOutcome =
  | { kind: 'skipped'; reason: SkipReason; message: string; rows: number; positives: number }
  | { kind: 'trained'; model: Model };

export interface FitOptions {
  name: string;
  version: number;
  minRows: number;
  testFraction: number;
  seed: string;
  learningRate: number;
  steps: number;
  /** Injected clock for trainedAt. */
  now: () => number;
}

/**
 * Decides whether the rows are worth a model, trains on the training split and measures on the held-out one.
 * Pure (no I/O), so the refusal rules are unit-tested without a broker or a database.
 */
export function fitModel(rows: readonly TrainingRow[], opts: FitOptions): FitOutcome {
  const positives = rows.filter((r) => r.label === 1).length;
  const skip = (reason: SkipReason, message: string): FitOutcome => ({ kind: 'skipped', reason, message, rows: rows.length, positives });
  if (rows.length < opts.minRows) {
    return skip('too_few_rows', `${rows.length} labelled rows, fewer than the minimum of ${opts.minRows}`);
  }
  if (positives === 0 || positives === rows.length) {
    return skip('one_class', `all ${rows.length} labelled rows have label ${positives === 0 ? 0 : 1}`);
  }

  const { train, test } = splitBySession(rows, (r) => r.sessionId, { testFraction: opts.testFraction, seed: opts.seed });
  const classes = (part: readonly TrainingRow[]) => new Set(part.map((r) => r.label)).size;
  // With both classes overall, a side can still hold only one (few sessions): no model, or no honest AUC.
  if (classes(train) < 2 || classes(test) < 2) {
    return skip(
      'one_class_in_split',
      `the session split left one class on a side (train ${train.length} rows, test ${test.length} rows); need more sessions`,
    );
  }

  const featureNames = collectFeatureNames(train);
  const { model: linear } = trainLogisticRegression(train, featureNames, { learningRate: opts.learningRate, steps: opts.steps });
  const testLabels = test.map((r) => r.label);
  const testProbabilities = test.map((r) => scoreProbability(linear, r.features));
  return {
    kind: 'trained',
    model: {
      name: opts.name,
      version: opts.version,
      trainedAt: opts.now(),
      algorithm: ALGORITHM,
      ...linear,
      metrics: {
        auc: rocAuc(testLabels, testProbabilities),
        logLoss: logLoss(testLabels, testProbabilities),
        trainRows: train.length,
        testRows: test.length,
        positiveRate: train.filter((r) => r.label === 1).length / train.length,
      },
    },
  };
}
