import type { FeatureVector, Model } from '@telltale/contracts';
import { sigmoid } from '@telltale/model';
import { predictionsFor } from './feature-scoring';

const model: Model = {
  name: 'purchase_propensity',
  version: 4,
  trainedAt: 0,
  algorithm: 'test',
  featureNames: ['session_clicks'],
  means: [2],
  stds: [2],
  weights: [1.5],
  intercept: -0.5,
  metrics: { auc: 0.9, logLoss: 0.3, trainRows: 10, testRows: 5, positiveRate: 0.2 },
};

const vector = (features: Record<string, number>): FeatureVector => ({
  userKey: 'u1',
  sessionId: 's1',
  messageId: 'm1',
  eventKind: 'click',
  eventTime: 1_000,
  computedAt: 1_100,
  features,
});

describe('predictionsFor', () => {
  it('scores each vector and carries its ids, the model version and both times', () => {
    const [p] = predictionsFor([vector({ session_clicks: 6 })], model, 2_000);
    expect(p).toEqual({
      userKey: 'u1',
      sessionId: 's1',
      messageId: 'm1',
      modelName: 'purchase_propensity',
      modelVersion: 4,
      probability: sigmoid(-0.5 + 1.5 * 2),
      eventTime: 1_000,
      predictedAt: 2_000,
    });
  });

  it('scores a vector lacking the model features at the means', () => {
    expect(predictionsFor([vector({ other: 1 })], model, 0)[0]?.probability).toBe(sigmoid(-0.5));
  });
});
