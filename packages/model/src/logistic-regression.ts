import LogisticRegression from 'ml-logistic-regression';
import { Matrix } from 'ml-matrix';
import type { LinearModel } from './linear-model';
import { fitStandardization, standardize } from './standardization';

export interface LabelledSample {
  features: Readonly<Record<string, number>>;
  /** 1 = positive (the session went on to purchase). */
  label: 0 | 1;
}

export interface TrainOptions {
  /**
   * Step size of gradient descent on the MEAN log-loss gradient. NOTE: ml-logistic-regression sums the gradient
   * over rows, so we hand it learningRate / rows: the same setting then behaves alike for 200 or 200 000 rows.
   */
  learningRate: number;
  /** Full-batch gradient steps. */
  steps: number;
}

/** All feature names seen in the samples, sorted so that the model's layout does not depend on row order. */
export function collectFeatureNames(samples: ReadonlyArray<{ features: Readonly<Record<string, number>> }>): string[] {
  const names = new Set<string>();
  for (const s of samples) for (const name of Object.keys(s.features)) names.add(name);
  return [...names].sort();
}

/**
 * The design matrix the library trains on: standardised features plus a trailing column of ones.
 * TRICKY: the library's classifiers have no intercept of their own; the ones column is where ours comes from.
 */
export function designMatrix(featureNames: readonly string[], model: Pick<LinearModel, 'means' | 'stds'>, rows: ReadonlyArray<Readonly<Record<string, number>>>): Matrix {
  const x = new Matrix(rows.length, featureNames.length + 1);
  rows.forEach((features, i) => {
    const z = standardize(featureNames, model, features);
    for (let j = 0; j < z.length; j++) x.set(i, j, z[j]!);
    x.set(i, featureNames.length, 1);
  });
  return x;
}

/**
 * Reads {weights, intercept} out of a two-class ml-logistic-regression trained on `designMatrix` rows.
 *
 * TRICKY: the library is one-vs-all and relabels for classifier i "class i → 0, any other → 1" (see its
 * transformClassesForOneVsAll). With classes {0, 1}, classifier 0 therefore learns P(class ≠ 0) = P(label = 1)
 * directly, as sigmoid(w · [z, 1]): its last weight is our intercept. Classifier 1 is its mirror image and unused.
 */
export function extractLinearWeights(classifier: LogisticRegression, featureCount: number): { weights: number[]; intercept: number } {
  if (classifier.numberClasses !== 2) {
    throw new Error(`expected a two-class model, got ${classifier.numberClasses} classes`);
  }
  const w = classifier.classifiers[0]?.weights;
  if (!w) throw new Error('the classifier is not trained');
  const flat = w.to1DArray();
  if (flat.length !== featureCount + 1) {
    throw new Error(`expected ${featureCount + 1} weights (features + intercept), got ${flat.length}`);
  }
  return { weights: flat.slice(0, featureCount), intercept: flat[featureCount]! };
}

export interface TrainedLinearModel {
  model: LinearModel;
  /** The library's model, for checks against its own predictions. */
  classifier: LogisticRegression;
}

/**
 * Standardises the samples (means/stds from these samples only: pass the training split, never the test split)
 * and fits an unregularised logistic regression by full-batch gradient descent.
 */
export function trainLogisticRegression(
  samples: readonly LabelledSample[],
  featureNames: readonly string[],
  opts: TrainOptions,
): TrainedLinearModel {
  const labels = samples.map((s) => s.label);
  const positives = labels.filter((l) => l === 1).length;
  if (positives === 0 || positives === samples.length) {
    throw new Error(`cannot train on one class (${positives} positive of ${samples.length})`);
  }
  const rows = samples.map((s) => s.features);
  const standardization = fitStandardization(featureNames, rows);
  const x = designMatrix(featureNames, standardization, rows);
  const classifier = new LogisticRegression({ numSteps: opts.steps, learningRate: opts.learningRate / samples.length });
  classifier.train(x, Matrix.columnVector(labels));
  const { weights, intercept } = extractLinearWeights(classifier, featureNames.length);
  return {
    model: { featureNames: [...featureNames], means: standardization.means, stds: standardization.stds, weights, intercept },
    classifier,
  };
}
