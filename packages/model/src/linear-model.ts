/**
 * The parts of a `Model` record (schemas/model.avsc) that scoring needs. `Model` itself satisfies this, so the
 * scorer passes the decoded record as it is.
 */
export interface LinearModel {
  featureNames: string[];
  /** Per feature, same order as featureNames: z = (x - mean) / std. */
  means: number[];
  stds: number[];
  /** One coefficient per standardised feature. */
  weights: number[];
  intercept: number;
}

/** Problems that make a model unusable (arrays of different lengths, non-finite numbers); empty when fine. */
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
  return problems;
}
