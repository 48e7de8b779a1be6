import path from 'node:path';
import { createAvroCodec, SCHEMAS_DIR, type FeatureVector, type Model } from '@telltale/contracts';
import { FEATURE_TRANSFORM, sigmoid } from '@telltale/model';
import { loadModel, predictionsFor, type LiveModel } from './feature-scoring';

const model: Model = {
  name: 'purchase_propensity',
  version: 4,
  trainedAt: 0,
  algorithm: 'test',
  runId: 'run-4',
  featureTransform: FEATURE_TRANSFORM,
  featureNames: ['session_clicks', 'event_kind_add_to_cart'],
  means: [2, 0.25],
  stds: [2, 0.5],
  weights: [1.5, 1],
  intercept: -0.5,
  metrics: { auc: 0.9, logLoss: 0.3, ece: 0.01, trainRows: 10, testRows: 5, positiveRate: 0.2, holdout: null },
};

const vector = (eventKind: string, features: Record<string, number>): FeatureVector => ({
  userKey: 'u1',
  sessionId: 's1',
  messageId: 'm1',
  eventKind,
  eventTime: 1_000,
  computedAt: 1_100,
  receivedAt: 1_050,
  features,
});

function live(m: Model): LiveModel {
  const loaded = loadModel(m);
  if (!('live' in loaded)) throw new Error(loaded.problems.join('; '));
  return loaded.live;
}

describe('predictionsFor', () => {
  it('scores each vector with the shared input transform and carries its ids, the model version and the three times', () => {
    const [p] = predictionsFor([vector('add_to_cart', { session_clicks: 6 })], live(model), 2_000);
    expect(p).toEqual({
      userKey: 'u1',
      sessionId: 's1',
      messageId: 'm1',
      modelName: 'purchase_propensity',
      modelVersion: 4,
      // z = [(6-2)/2, (1-0.25)/0.5] = [2, 1.5]
      probability: sigmoid(-0.5 + 1.5 * 2 + 1 * 1.5),
      eventTime: 1_000,
      predictedAt: 2_000,
      receivedAt: 1_050,
    });
  });

  it('scores a vector lacking the model features at the means', () => {
    expect(predictionsFor([vector('page_view', { other: 1 })], live(model), 0)[0]?.probability).toBe(sigmoid(-0.5 + (1 * -0.25) / 0.5));
  });
});

describe('loadModel', () => {
  it('refuses a model whose inputs this build cannot compute', () => {
    expect(loadModel({ ...model, featureTransform: 'telltale.inputs.v999' })).toEqual({ problems: ['unknown feature transform "telltale.inputs.v999"'] });
  });

  it('scores a model published with the first schema version (no transform): session features as they are', () => {
    // A record as the trainer wrote it before model.avsc v2, decoded the way the scorer decodes the topic.
    const old = { name: 'purchase_propensity', version: 3, trainedAt: 5, algorithm: 'gd', featureNames: ['session_clicks'], means: [2], stds: [2], weights: [1.5], intercept: -0.5, metrics: { auc: 0.8, logLoss: 0.4, trainRows: 1, testRows: 1, positiveRate: 0.1 } };
    const framed = createAvroCodec<typeof old>('model.v1.avsc', { dir: path.join(SCHEMAS_DIR, 'history') }).encode(old);
    const codec = createAvroCodec<Model>('model.avsc');
    const decoded = codec.decode(framed);
    expect(decoded).toMatchObject({ featureTransform: 'raw', runId: '', metrics: { ece: null, holdout: null } });
    expect(predictionsFor([vector('click', { session_clicks: 6 })], live(decoded), 0)[0]?.probability).toBe(sigmoid(-0.5 + 1.5 * 2));
  });
});
