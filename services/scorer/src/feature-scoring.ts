import type { FeatureVector, Model, Prediction } from '@telltale/contracts';
import { compileModel, validateLinearModel, type CompiledModel } from '@telltale/model';

/** A model ready to score: validated and compiled once, when it arrives, never while a batch waits. */
export interface LiveModel {
  name: string;
  version: number;
  model: Model;
  compiled: CompiledModel;
}

/** Prepares a model record for scoring, or says why it cannot be used (this build cannot compute its inputs, …). */
export function loadModel(model: Model): { live: LiveModel } | { problems: string[] } {
  const problems = validateLinearModel(model);
  if (problems.length > 0) return { problems };
  return { live: { name: model.name, version: model.version, model, compiled: compileModel(model) } };
}

/** One prediction per feature vector, all with the same model and the same predictedAt. */
export function predictionsFor(vectors: readonly FeatureVector[], live: LiveModel, predictedAt: number): Prediction[] {
  return vectors.map((v) => ({
    userKey: v.userKey,
    sessionId: v.sessionId,
    messageId: v.messageId,
    modelName: live.name,
    modelVersion: live.version,
    probability: live.compiled.probability(v),
    eventTime: v.eventTime,
    predictedAt,
    receivedAt: v.receivedAt,
  }));
}
