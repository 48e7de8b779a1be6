import type { LinearModel } from './linear-model';
import { compileInputs, type FeatureSource } from './model-inputs';

/** Logistic function, written so that neither branch overflows for large |x|. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** Intercept + weights · z for inputs already derived (NaN or non-finite = missing, i.e. the mean: z = 0). */
function linearPredictor(model: LinearModel, inputs: ArrayLike<number>, offset = 0): number {
  let sum = model.intercept;
  for (let j = 0; j < model.weights.length; j++) {
    const x = inputs[offset + j]!;
    if (Number.isFinite(x)) sum += (model.weights[j]! * (x - model.means[j]!)) / model.stds[j]!;
  }
  return sum;
}

export interface CompiledModel {
  /** The log-odds of a positive label for one feature vector. */
  logOdds(source: FeatureSource): number;
  /** P(label = 1) for one feature vector. */
  probability(source: FeatureSource): number;
}

/**
 * Prepares a model for scoring many vectors: the input derivation is resolved once. Throws when the model's
 * transform is unknown to this build. Inputs a vector lacks count as their training mean (z = 0); features the model
 * does not use are ignored.
 */
export function compileModel(model: LinearModel): CompiledModel {
  const derive = compileInputs(model.featureNames, model.featureTransform);
  const inputs = new Float64Array(model.featureNames.length);
  const logOdds = (source: FeatureSource) => {
    derive(source, inputs);
    return linearPredictor(model, inputs);
  };
  return { logOdds, probability: (source) => sigmoid(logOdds(source)) };
}

/** Log-odds of one vector (compiles the model each call: use compileModel for many). */
export function logOdds(model: LinearModel, source: FeatureSource): number {
  return compileModel(model).logOdds(source);
}

/** P(label = 1) of one vector (compiles the model each call: use compileModel for many). */
export function scoreProbability(model: LinearModel, source: FeatureSource): number {
  return compileModel(model).probability(source);
}

/** Probabilities for the rows of a row-major matrix of derived (not standardised) inputs in model.featureNames order. */
export function scoreInputMatrix(model: LinearModel, inputs: Float64Array, rows: number): Float64Array {
  const cols = model.featureNames.length;
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) out[i] = sigmoid(linearPredictor(model, inputs, i * cols));
  return out;
}
