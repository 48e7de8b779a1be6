import type { LinearModel } from './linear-model';
import { compileInputs, type FeatureSource } from './model-inputs';
import { sigmoid } from './probability';

/** One input's part in a prediction. */
export interface Contribution {
  /** The model input's name (Model.featureNames). */
  input: string;
  /** The input's value for this visitor, before standardisation; null when missing (then it counts as the mean). */
  value: number | null;
  /** coefficient × standardised value: how far this input moved the log-odds from the average visitor's. */
  contribution: number;
}

/** Why a model gave a probability: the intercept (the average visitor's log-odds) plus every input's contribution. */
export interface Explanation {
  /** Log-odds of the average visitor (every input at its training mean, z = 0). */
  intercept: number;
  /** intercept + Σ contributions, added in the model's input order: exactly the log-odds the model scores. */
  logit: number;
  probability: number;
  /** Every input, in the model's order. */
  contributions: Contribution[];
  /** The `top` inputs that moved the prediction most (largest |contribution| first), with their sign. */
  top: Contribution[];
}

/** How many inputs an explanation names by default. */
export const EXPLANATION_TOP = 3;

/**
 * Prepares a model for explaining many vectors (the input derivation resolved once, as compileModel does): each input's
 * contribution is its coefficient times its standardised value, relative to the average visitor (z = 0 at the training
 * mean). NOTE: the contributions are summed onto the intercept in the model's input order, the order `compileModel`
 * adds them in, so `logit` is bit-for-bit the model's log-odds (floating-point addition is not associative; another
 * order could differ in the last bit), and `probability` is the scorer's.
 */
export function compileExplainer(model: LinearModel): (source: FeatureSource, top?: number) => Explanation {
  const derive = compileInputs(model.featureNames, model.featureTransform);
  const inputs = new Float64Array(model.featureNames.length);
  return (source, top = EXPLANATION_TOP) => {
    derive(source, inputs);
    let logit = model.intercept;
    const contributions = model.featureNames.map((input, j): Contribution => {
      const x = inputs[j]!;
      if (!Number.isFinite(x)) return { input, value: null, contribution: 0 };
      const contribution = (model.weights[j]! * (x - model.means[j]!)) / model.stds[j]!;
      logit += contribution;
      return { input, value: x, contribution };
    });
    const ranked = contributions
      .filter((c) => c.contribution !== 0)
      .sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution) || a.input.localeCompare(b.input));
    return { intercept: model.intercept, logit, probability: sigmoid(logit), contributions, top: ranked.slice(0, top) };
  };
}

/** Explains one prediction (compiles the model each call: use compileExplainer for many). */
export function explainPrediction(model: LinearModel, source: FeatureSource, top = EXPLANATION_TOP): Explanation {
  return compileExplainer(model)(source, top);
}
