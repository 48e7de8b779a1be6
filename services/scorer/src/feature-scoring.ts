import type { FeatureVector, Model, Prediction } from '@telltale/contracts';
import { scoreProbability } from '@telltale/model';

/** One prediction per feature vector, all with the same model and the same predictedAt. */
export function predictionsFor(vectors: readonly FeatureVector[], model: Model, predictedAt: number): Prediction[] {
  return vectors.map((v) => ({
    userKey: v.userKey,
    sessionId: v.sessionId,
    messageId: v.messageId,
    modelName: model.name,
    modelVersion: model.version,
    probability: scoreProbability(model, v.features),
    eventTime: v.eventTime,
    predictedAt,
  }));
}
