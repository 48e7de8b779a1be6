import LogisticRegression from 'ml-logistic-regression';
import { Matrix } from 'ml-matrix';

export interface ReferenceFitOptions {
  /**
   * Step size of gradient descent on the MEAN log-loss gradient. NOTE: ml-logistic-regression sums the gradient
   * over rows, so it gets learningRate / rows: the same setting then behaves alike for 200 or 200 000 rows.
   */
  learningRate: number;
  /** Full-batch gradient steps. */
  steps: number;
}

/**
 * The reference learner: ml-logistic-regression's unpenalised full-batch gradient descent, trained as ONE binary
 * classifier on the same standardised row-major matrix `fitLogisticNewton` takes. Newton's method fits the
 * published models (gradient descent needs thousands of steps on correlated counters, minutes at a million rows);
 * this stays as the independent implementation a test compares it with.
 *
 * TRICKY: the library's LogisticRegression is one-vs-all and would train a second, mirror-image classifier for a
 * binary label; we load an empty one-classifier model and train that classifier directly on y. It has no intercept
 * of its own: a trailing column of ones provides it (its last weight).
 */
export function fitLogisticReference(
  x: Float64Array,
  rows: number,
  cols: number,
  labels: ArrayLike<number>,
  opts: ReferenceFitOptions,
): { weights: Float64Array; intercept: number } {
  const design = new Matrix(rows, cols + 1);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) design.set(i, j, x[i * cols + j]!);
    design.set(i, cols, 1);
  }
  const y = Matrix.columnVector(Array.from({ length: rows }, (_, i) => (labels[i] === 1 ? 1 : 0)));
  const holder = LogisticRegression.load({
    name: 'LogisticRegression',
    numberClasses: 1,
    classifiers: [{ numSteps: opts.steps, learningRate: opts.learningRate / rows, weights: null }],
  });
  const classifier = holder.classifiers[0]!;
  classifier.train(design, y);
  const flat = classifier.weights!.to1DArray();
  return { weights: Float64Array.from(flat.slice(0, cols)), intercept: flat[cols]! };
}
