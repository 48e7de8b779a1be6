import type { LinearModel } from './linear-model';
import { standardize } from './standardization';

/** Logistic function, written so that neither branch overflows for large |x|. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** Intercept + weights · z: the log-odds of a positive label. */
export function logOdds(model: LinearModel, features: Readonly<Record<string, number>>): number {
  const z = standardize(model.featureNames, model, features);
  let sum = model.intercept;
  for (let i = 0; i < z.length; i++) sum += model.weights[i]! * z[i]!;
  return sum;
}

/**
 * P(label = 1) for one feature map, aligned by the model's featureNames: a feature the model knows but the map
 * lacks counts as its training mean (z = 0); features the model does not know are ignored.
 */
export function scoreProbability(model: LinearModel, features: Readonly<Record<string, number>>): number {
  return sigmoid(logOdds(model, features));
}
