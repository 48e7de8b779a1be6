// The package ships no types. Only what we use is declared, from its source (src/logreg.js, src/logreg_2classes.js).
declare module 'ml-logistic-regression' {
  import type { Matrix } from 'ml-matrix';

  /** One binary classifier: P = sigmoid(X · weightsᵀ), no intercept of its own, trained by gradient descent. */
  export interface LogisticRegressionTwoClasses {
    /** 1 × columns row vector; null before training. */
    weights: Matrix | null;
    /** Y: column vector of 0/1 targets; learns P(target = 1). */
    train(features: Matrix, target: Matrix): void;
    /** sigmoid(X · weightsᵀ) per row. */
    testScores(features: Matrix): number[];
  }

  export interface SavedLogisticRegression {
    name: 'LogisticRegression';
    numberClasses: number;
    classifiers: Array<{ numSteps: number; learningRate: number; weights: null }>;
  }

  export default class LogisticRegression {
    constructor(options?: { numSteps?: number; learningRate?: number });
    numberClasses: number;
    classifiers: LogisticRegressionTwoClasses[];
    /** Y: column vector of class indices 0..k-1; trains one classifier per class (one-vs-all). */
    train(X: Matrix, Y: Matrix): void;
    static load(model: SavedLogisticRegression): LogisticRegression;
  }
}
