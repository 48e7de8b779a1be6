import type { FeatureVector, Model, Prediction, PredictionExplanation } from '@telltale/contracts';
import { compileExplainer, compileModel, validateLinearModel, type CompiledModel, type Explanation } from '@telltale/model';

/** A model ready to score: validated and compiled once, when it arrives, never while a batch waits. */
export interface LiveModel {
  name: string;
  version: number;
  model: Model;
  compiled: CompiledModel;
  /** Each input's contribution; its probability is bit-for-bit compiled.probability (packages/model explanation.ts). */
  explain: (source: FeatureVector) => Explanation;
}

/** Prepares a model record for scoring, or says why it cannot be used (this build cannot compute its inputs, …). */
export function loadModel(model: Model): { live: LiveModel } | { problems: string[] } {
  const problems = validateLinearModel(model);
  if (problems.length > 0) return { problems };
  return { live: { name: model.name, version: model.version, model, compiled: compileModel(model), explain: compileExplainer(model) } };
}

/** One prediction per feature vector, all with the same model and the same predictedAt. */
export function predictionsFor(vectors: readonly FeatureVector[], live: LiveModel, predictedAt: number): Prediction[] {
  return explainedPredictionsFor(vectors, live, predictedAt).map((p) => p.prediction);
}

/**
 * One prediction per feature vector with its explanation (the intercept, the logit and the three inputs that moved it
 * most): the probability is the explanation's, so the two cannot disagree.
 */
export function explainedPredictionsFor(
  vectors: readonly FeatureVector[],
  live: LiveModel,
  predictedAt: number,
): Array<{ prediction: Prediction; explanation: PredictionExplanation }> {
  return vectors.map((v) => {
    const e = live.explain(v);
    return {
      prediction: {
        userKey: v.userKey,
        sessionId: v.sessionId,
        messageId: v.messageId,
        modelName: live.name,
        modelVersion: live.version,
        probability: e.probability,
        eventTime: v.eventTime,
        predictedAt,
        receivedAt: v.receivedAt,
      },
      explanation: { intercept: e.intercept, logit: e.logit, top: e.top },
    };
  });
}
