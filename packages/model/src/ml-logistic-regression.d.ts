// The package ships no types. Only what we use is declared, from its source (src/logreg.js, src/logreg_2classes.js).
declare module 'ml-logistic-regression' {
  import type { Matrix } from 'ml-matrix';

  /** One binary classifier of the one-vs-all set: P = sigmoid(X · weightsᵀ), no intercept of its own. */
  export interface LogisticRegressionTwoClasses {
    /** 1 × columns row vector; null before training. */
    weights: Matrix | null;
    /** sigmoid(X · weightsᵀ) per row. */
    testScores(features: Matrix): number[];
    predict(features: Matrix): number[];
  }

  export default class LogisticRegression {
    constructor(options?: { numSteps?: number; learningRate?: number });
    numSteps: number;
    learningRate: number;
    numberClasses: number;
    classifiers: LogisticRegressionTwoClasses[];
    /** Y: column vector of class indices 0..k-1. */
    train(X: Matrix, Y: Matrix): void;
    /** Class index per row: the class whose "not this class" classifier scores lowest. */
    predict(X: Matrix): number[];
    toJSON(): unknown;
  }
}
