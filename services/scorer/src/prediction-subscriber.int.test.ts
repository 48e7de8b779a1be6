import avro from 'avsc';
import { PREDICTION_EXPLANATION_HEADER, decodeExplanationHeader, rabinFingerprint, topicsFor, type FeatureVector, type Model, type Topic } from '@telltale/contracts';
import { followTopic, type TopicFollower } from '@telltale/kafka';
import { FEATURE_TRANSFORM, explainPrediction, scoreProbability } from '@telltale/model';
import { createMetricsRegistry } from '@telltale/runtime';
import { eventually, testId as id, testLogger, testStage } from '@telltale/testing';
import { startScorerApp } from './scorer.app';
import { loadScorerConfig } from './scorer.config';

// A subscriber of `predictions` outside this repository, written against schemas/prediction.avsc as it was when
// explanations were added (copied here, frozen: do not update it with the schema). It decodes the way the Avro spec's
// single-object encoding says: check the magic, match the fingerprint of the one schema it knows, decode the body. It
// knows nothing of headers or of this repository's codecs.
const SUBSCRIBERS_SCHEMA = {
  type: 'record',
  name: 'Prediction',
  namespace: 'telltale.v1',
  fields: [
    { name: 'userKey', type: 'string' },
    { name: 'sessionId', type: 'string' },
    { name: 'messageId', type: 'string' },
    { name: 'modelName', type: 'string' },
    { name: 'modelVersion', type: 'long' },
    { name: 'probability', type: 'double' },
    { name: 'eventTime', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'predictedAt', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'receivedAt', type: { type: 'long', logicalType: 'timestamp-millis' }, default: 0 },
  ],
};

function oldSubscriber() {
  const type = avro.Type.forSchema(SUBSCRIBERS_SCHEMA as avro.Schema);
  const fingerprint = rabinFingerprint(JSON.stringify(type.schema()));
  return (bytes: Buffer): Record<string, unknown> => {
    if (bytes[0] !== 0xc3 || bytes[1] !== 0x01) throw new Error('not single-object encoded');
    if (!bytes.subarray(2, 10).equals(fingerprint)) throw new Error(`unknown writer schema ${bytes.subarray(2, 10).toString('hex')}`);
    return type.fromBuffer(bytes.subarray(10)) as Record<string, unknown>;
  };
}

const model: Model = {
  name: 'purchase_propensity',
  version: 7,
  trainedAt: Date.now(),
  algorithm: 'test',
  runId: 'run-7',
  featureTransform: FEATURE_TRANSFORM,
  featureNames: ['session_add_to_carts', 'log1p_session_cart_value', 'session_events', 'event_kind_click'],
  means: [0.8, 2, 4, 0.3],
  stds: [1.1, 1.5, 3, 0.45],
  weights: [1.4, 0.6, -0.2, 0.3],
  intercept: -1.5,
  metrics: { auc: 0.9, logLoss: 0.3, ece: 0.01, trainRows: 100, testRows: 30, positiveRate: 0.2, holdout: null },
};

describe('predictions with explanations, read by a subscriber of the schema before them', () => {
  const prefix = `${id('subscriber')}.`;
  const topics = topicsFor(prefix);
  const config = loadScorerConfig({ KAFKA_BROKERS: process.env.KAFKA_BROKERS, TOPIC_PREFIX: prefix, SCORER_GROUP_ID: id('group'), ADMIN_PORT: '0' });
  let follower: TopicFollower | undefined;
  afterAll(() => follower?.stop());

  it('decodes every new record with the old schema, and finds the explanation in the header', async () => {
    const { client: kafka, producer } = await testStage(prefix);
    // The raw bytes and headers as they are on the topic.
    const raw: Array<{ value: Buffer; headers: Record<string, unknown> }> = [];
    const rawTopic = { ...topics.predictions, codec: { ...topics.predictions.codec, decode: (b: Buffer) => b } } as unknown as Topic<Buffer>;
    follower = await followTopic(kafka, rawTopic, (value, _key, headers) => raw.push({ value, headers }), { groupIdPrefix: id('raw') });
    const app = await startScorerApp(config, testLogger('scorer'), createMetricsRegistry('scorer'));
    try {
      await producer.send(topics.models, [{ key: model.name, value: model }]);
      await eventually(() => (app.service.currentModel()?.version === 7 ? true : undefined), 'model 7 in use');
      const vectors: FeatureVector[] = Array.from({ length: 10 }, (_, i) => ({
        userKey: `u-${i}`,
        sessionId: `s-${i}`,
        messageId: `m-${i}`,
        eventKind: i % 2 ? 'click' : 'page_view',
        eventTime: Date.now(),
        computedAt: Date.now(),
        receivedAt: Date.now(),
        features: { session_add_to_carts: i % 3, session_cart_value: i * 10, session_events: i },
      }));
      await producer.send(topics.features, vectors.map((v) => ({ key: v.userKey, value: v })));
      await eventually(() => (raw.length >= vectors.length ? true : undefined), `${vectors.length} predictions`);

      const decode = oldSubscriber();
      for (const v of vectors) {
        const record = raw.find((r) => decode(r.value).messageId === v.messageId)!;
        expect(decode(record.value)).toMatchObject({ userKey: v.userKey, modelVersion: 7, probability: scoreProbability(model, v) });
        // New readers: the header, whose logit is the model's (intercept + contributions) and whose top three are the
        // inputs that moved this visitor most.
        const header = record.headers[PREDICTION_EXPLANATION_HEADER] as Buffer;
        const explanation = decodeExplanationHeader(header)!;
        const expected = explainPrediction(model, v);
        expect(explanation).toEqual({ intercept: -1.5, logit: expected.logit, top: expected.top });
        expect(1 / (1 + Math.exp(-explanation.logit))).toBeCloseTo(scoreProbability(model, v), 12);
      }
    } finally {
      await app.close();
      await producer.disconnect();
    }
  });
});
