import type { LinearModel } from './linear-model';
import { fitLogisticNewton } from './logistic-newton';
import { calibrationByDecile, expectedCalibrationError, logLoss, rocAuc, type CalibrationBucket } from './metrics';
import { CANDIDATE_INPUTS, DERIVED_INPUTS, FEATURE_TRANSFORM, TIME_FEATURE_MIN_SPAN_DAYS } from './model-inputs';
import { scoreInputMatrix } from './probability';
import { sessionBucket } from './session-split';
import { fitMatrixStandardization, standardizeMatrix } from './standardization';
import { inputMatrix, type TrainingSet } from './training-set';

const DAY_MS = 86_400_000;

export interface SplitOptions {
  /** Share of the older sessions held out by a hash of the session id (the "by session" test set). */
  testFraction: number;
  /** Share of all sessions, the newest by start time, held out as the time-based holdout. */
  holdoutFraction: number;
  /** Seed of the session hash. */
  seed: string;
}

/** Row indices of each side. No session is on two sides. */
export interface TrainingSplit {
  train: Int32Array;
  /** Older sessions, picked by hash: measures the model on the period it learned from. */
  test: Int32Array;
  /** The newest sessions: measures the model on what comes after its training data, as it will be used. */
  holdout: Int32Array;
  /** Start of the earliest holdout session (UTC ms); NaN when the holdout is empty. */
  holdoutFromMs: number;
}

/**
 * Orders sessions by their first snapshot and holds out the newest `holdoutFraction` of them; the older ones are
 * split by a hash of the session id. Deterministic for a set and a seed, whatever the row order.
 */
export function splitTrainingSet(set: TrainingSet, opts: SplitOptions): TrainingSplit {
  for (const [name, f] of [['testFraction', opts.testFraction], ['holdoutFraction', opts.holdoutFraction]] as const) {
    if (!(f > 0 && f < 1)) throw new Error(`${name} must be in (0, 1), got ${f}`);
  }
  const sessions = set.sessionIds.length;
  const start = new Float64Array(sessions).fill(Number.POSITIVE_INFINITY);
  for (let i = 0; i < set.rows; i++) {
    const s = set.sessionCodes[i]!;
    if (set.eventTimeMs[i]! < start[s]!) start[s] = set.eventTimeMs[i]!;
  }
  // Ties in start time are broken by session id, so the cut does not depend on row order.
  const order = Array.from({ length: sessions }, (_, s) => s).sort((a, b) => start[a]! - start[b]! || (set.sessionIds[a]! < set.sessionIds[b]! ? -1 : 1));
  const newest = Math.round(sessions * opts.holdoutFraction);
  const side = new Uint8Array(sessions); // 0 train, 1 test, 2 holdout
  order.forEach((s, rank) => {
    if (rank >= sessions - newest) side[s] = 2;
    else if (sessionBucket(set.sessionIds[s]!, opts.seed) < opts.testFraction) side[s] = 1;
  });
  const counts = [0, 0, 0];
  for (let i = 0; i < set.rows; i++) {
    const k = side[set.sessionCodes[i]!]!;
    counts[k] = counts[k]! + 1;
  }
  const parts = counts.map((n) => new Int32Array(n));
  const filled = [0, 0, 0];
  for (let i = 0; i < set.rows; i++) {
    const k = side[set.sessionCodes[i]!]!;
    parts[k]![filled[k]!++] = i;
  }
  const firstHoldout = order[sessions - newest];
  return {
    train: parts[0]!,
    test: parts[1]!,
    holdout: parts[2]!,
    holdoutFromMs: newest > 0 && firstHoldout !== undefined ? start[firstHoldout]! : Number.NaN,
  };
}

export interface Evaluation {
  rows: number;
  positiveRate: number;
  auc: number;
  logLoss: number;
  /** Expected calibration error, 10 equal-width bins. */
  ece: number;
  calibration: CalibrationBucket[];
}

export function evaluate(labels: ArrayLike<number>, probabilities: ArrayLike<number>): Evaluation {
  let positives = 0;
  for (let i = 0; i < labels.length; i++) positives += labels[i] === 1 ? 1 : 0;
  return {
    rows: labels.length,
    positiveRate: labels.length > 0 ? positives / labels.length : Number.NaN,
    auc: rocAuc(labels, probabilities),
    logLoss: logLoss(labels, probabilities),
    ece: expectedCalibrationError(labels, probabilities),
    calibration: calibrationByDecile(labels, probabilities),
  };
}

/** Probabilities of any model (whatever its transform) for rows of a set: what the scorer would have said. */
export function scoreRows(model: LinearModel, set: TrainingSet, indices: ArrayLike<number>): Float64Array {
  const inputs = inputMatrix(set, indices, model.featureNames, model.featureTransform);
  return scoreInputMatrix(model, inputs, indices.length);
}

export function labelsOf(set: TrainingSet, indices: ArrayLike<number>): Uint8Array {
  return Uint8Array.from({ length: indices.length }, (_, k) => set.labels[indices[k]!]!);
}

/** Time span of the rows (max − min event time), ms. */
export function spanMs(set: TrainingSet, indices: ArrayLike<number>): number {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < indices.length; k++) {
    const t = set.eventTimeMs[indices[k]!]!;
    if (t < min) min = t;
    if (t > max) max = t;
  }
  return indices.length > 0 ? max - min : 0;
}

export type TimeFeaturePolicy = 'gated' | 'always' | 'never';

export interface InputChoice {
  inputs: string[];
  /** Inputs left out, with why: 'constant' (carries nothing in this data) or 'time' (the data spans too few days). */
  dropped: Array<{ name: string; reason: 'constant' | 'time' }>;
  /** The chosen inputs of the training rows, row-major, derived but not standardised. */
  matrix: Float64Array;
}

/**
 * The inputs a model gets: the candidates, then any session feature in the data the candidates do not name (a feature
 * the enricher added since), minus the time features while the data spans too few days, minus inputs that are
 * constant or absent in the training rows (standardised they are 0 everywhere: they carry nothing).
 */
export function chooseInputs(
  set: TrainingSet,
  train: ArrayLike<number>,
  policy: TimeFeaturePolicy = 'gated',
  /** Replaces the candidates (and the unknown session features): for measuring other input sets. */
  candidates?: readonly string[],
): InputChoice {
  const known = new Set(CANDIDATE_INPUTS);
  const extra = set.featureNames.filter((n) => !known.has(n) && !DERIVED_INPUTS.has(n)).sort();
  const span = spanMs(set, train);
  const dropped: InputChoice['dropped'] = [];
  const offered = (candidates ?? [...CANDIDATE_INPUTS, ...extra]).filter((name) => {
    const days = TIME_FEATURE_MIN_SPAN_DAYS[name];
    if (days === undefined || policy === 'always') return true;
    if (policy === 'gated' && span >= days * DAY_MS) return true;
    dropped.push({ name, reason: 'time' });
    return false;
  });
  const rows = train.length;
  const all = inputMatrix(set, train, offered, FEATURE_TRANSFORM);
  const keep = offered.map((name, j) => {
    let first = Number.NaN;
    for (let r = 0; r < rows; r++) {
      const v = all[r * offered.length + j]!;
      if (!Number.isFinite(v)) continue;
      if (Number.isNaN(first)) first = v;
      else if (v !== first) return true;
    }
    dropped.push({ name, reason: 'constant' });
    return false;
  });
  const inputs = offered.filter((_, j) => keep[j]);
  if (inputs.length === offered.length) return { inputs, dropped, matrix: all };
  const columns = keep.flatMap((k, j) => (k ? [j] : []));
  const matrix = new Float64Array(rows * inputs.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < columns.length; c++) matrix[r * inputs.length + c] = all[r * offered.length + columns[c]!]!;
  return { inputs, dropped, matrix };
}

export interface FitOptions {
  /** L2 penalty of the fit (scikit-learn's 1/C). @default 1 */
  l2?: number;
  /** @default 'gated' */
  timeFeatures?: TimeFeaturePolicy;
  /** Inputs to offer instead of CANDIDATE_INPUTS (the bench measures other sets). */
  candidates?: readonly string[];
}

export interface TrainOptions extends SplitOptions, FitOptions {}

export interface FittedModel {
  model: LinearModel;
  dropped: InputChoice['dropped'];
  rows: number;
  positiveRate: number;
  fit: { iterations: number; converged: boolean; ms: number };
}

/**
 * The fit itself, on the given rows: choose the inputs, derive them with the shared transform, standardise, and run
 * Newton's method. `fit.ms` covers all of it.
 */
export function fitOnRows(set: TrainingSet, rows: ArrayLike<number>, opts: FitOptions = {}, clock: () => number = Date.now): FittedModel {
  const started = clock();
  const { inputs, dropped, matrix: x } = chooseInputs(set, rows, opts.timeFeatures, opts.candidates);
  const n = rows.length;
  const standardization = fitMatrixStandardization(x, n, inputs.length);
  standardizeMatrix(x, n, inputs.length, standardization);
  const labels = labelsOf(set, rows);
  const fit = fitLogisticNewton(x, n, inputs.length, labels, { l2: opts.l2 ?? 1 });
  const ms = clock() - started;
  let positives = 0;
  for (const l of labels) positives += l;
  return {
    model: {
      featureTransform: FEATURE_TRANSFORM,
      featureNames: inputs,
      means: standardization.means,
      stds: standardization.stds,
      weights: Array.from(fit.weights),
      intercept: fit.intercept,
    },
    dropped,
    rows: n,
    positiveRate: positives / n,
    fit: { iterations: fit.iterations, converged: fit.converged, ms },
  };
}

export type TrainOutcome =
  | {
      kind: 'trained';
      model: LinearModel;
      split: TrainingSplit;
      test: Evaluation;
      holdout: Evaluation;
      trainRows: number;
      trainPositiveRate: number;
      dropped: InputChoice['dropped'];
      fit: { iterations: number; converged: boolean; ms: number };
    }
  | { kind: 'skipped'; reason: 'one_class' | 'one_class_in_split'; message: string };

/**
 * Fits on the training split with the shared input transform (standardised, Newton's method) and measures the model
 * on the by-session test split and on the time-based holdout. The model returned is the one measured.
 */
export function trainModel(set: TrainingSet, opts: TrainOptions, clock: () => number = Date.now): TrainOutcome {
  let positives = 0;
  for (let i = 0; i < set.rows; i++) positives += set.labels[i]!;
  if (positives === 0 || positives === set.rows) {
    return { kind: 'skipped', reason: 'one_class', message: `all ${set.rows} labelled rows have label ${positives === 0 ? 0 : 1}` };
  }
  const split = splitTrainingSet(set, opts);
  const classes = (part: Int32Array) => {
    let p = 0;
    for (let k = 0; k < part.length; k++) p += set.labels[part[k]!]!;
    return (p > 0 ? 1 : 0) + (p < part.length ? 1 : 0);
  };
  // With both classes overall, a side can still hold only one (few sessions): no model, or no honest AUC.
  if (classes(split.train) < 2 || classes(split.test) < 2 || classes(split.holdout) < 2) {
    return {
      kind: 'skipped',
      reason: 'one_class_in_split',
      message: `a split holds one class only (train ${split.train.length}, test ${split.test.length}, holdout ${split.holdout.length} rows); need more sessions`,
    };
  }

  const fitted = fitOnRows(set, split.train, opts, clock);
  const { model } = fitted;
  return {
    kind: 'trained',
    model,
    split,
    test: evaluate(labelsOf(set, split.test), scoreRows(model, set, split.test)),
    holdout: evaluate(labelsOf(set, split.holdout), scoreRows(model, set, split.holdout)),
    trainRows: fitted.rows,
    trainPositiveRate: fitted.positiveRate,
    dropped: fitted.dropped,
    fit: fitted.fit,
  };
}
