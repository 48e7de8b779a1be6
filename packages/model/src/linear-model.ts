import { KNOWN_FEATURE_TRANSFORMS } from './model-inputs';

/**
 * The parts of a `Model` record (schemas/model.avsc) that scoring needs. `Model` itself satisfies this, so the
 * scorer passes the decoded record as it is.
 */
export interface LinearModel {
  /** How the inputs named in featureNames are derived from a FeatureVector (model-inputs.ts). */
  featureTransform: string;
  /** The model's inputs, in order. */
  featureNames: string[];
  /** Per input, same order as featureNames: z = (x - mean) / std. */
  means: number[];
  stds: number[];
  /** One coefficient per standardised input. */
  weights: number[];
  intercept: number;
}

/**
 * Problems that make a model unusable (arrays of different lengths, non-finite numbers, a transform this build
 * cannot compute); empty when fine.
 */
export function validateLinearModel(model: LinearModel): string[] {
  const problems: string[] = [];
  const n = model.featureNames.length;
  for (const field of ['means', 'stds', 'weights'] as const) {
    if (model[field].length !== n) problems.push(`${field} has ${model[field].length} entries for ${n} features`);
    if (!model[field].every(Number.isFinite)) problems.push(`${field} has non-finite entries`);
  }
  if (model.stds.some((s) => s <= 0)) problems.push('stds has entries <= 0');
  if (!Number.isFinite(model.intercept)) problems.push('intercept is not finite');
  if (new Set(model.featureNames).size !== n) problems.push('featureNames has duplicates');
  if (!KNOWN_FEATURE_TRANSFORMS.includes(model.featureTransform)) problems.push(`unknown feature transform ${JSON.stringify(model.featureTransform)}`);
  return problems;
}
