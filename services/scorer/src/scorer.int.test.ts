import { topicsFor, type FeatureVector, type Model, type Prediction } from '@telltale/contracts';
import { consumerLag, followTopic, type AvroProducer, type KafkaClient, type TopicFollower } from '@telltale/kafka';
import { scoreProbability } from '@telltale/model';
import { createMetricsRegistry, type Registry } from '@telltale/runtime';
import { eventually, testId as id, testLogger, testStage } from '@telltale/testing';
import { startScorerApp, type ScorerApp } from './scorer.app';
import { loadScorerConfig } from './scorer.config';

const logger = testLogger('scorer-test');

async function counterValue(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  return values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value ?? 0;
}

const model = (version: number, intercept: number): Model => ({
  name: 'purchase_propensity',
  version,
  trainedAt: Date.now(),
  algorithm: 'test',
  featureNames: ['session_add_to_carts', 'session_cart_value', 'session_events'],
  means: [0.8, 30, 4],
  stds: [1.1, 40, 3],
  weights: [1.4, 0.6, -0.2],
  intercept,
  metrics: { auc: 0.9, logLoss: 0.3, trainRows: 100, testRows: 30, positiveRate: 0.2 },
});

const vector = (i: number, features: Record<string, number>): FeatureVector => ({
  userKey: `user-${i % 5}`,
  sessionId: `session-${i % 7}`,
  messageId: `m-${i}`,
  eventKind: 'click',
  eventTime: Date.now() - 50,
  computedAt: Date.now(),
  features,
});

describe('scorer against a real broker', () => {
  const prefix = `${id('scorer')}.`;
  const topics = topicsFor(prefix);
  const config = loadScorerConfig({ KAFKA_BROKERS: process.env.KAFKA_BROKERS, TOPIC_PREFIX: prefix, SCORER_GROUP_ID: id('group'), ADMIN_PORT: '0' });
  let kafka: KafkaClient;
  let producer: AvroProducer;
  let predictionsFollower: TopicFollower;
  const predictions: Prediction[] = [];
  const waitForPrediction = (messageId: string) =>
    eventually(() => predictions.find((p) => p.messageId === messageId), `a prediction for ${messageId}`);

  beforeAll(async () => {
    ({ client: kafka, producer } = await testStage(prefix));
    predictionsFollower = await followTopic(kafka, topics.predictions, (p) => predictions.push(p), { groupIdPrefix: id('reader') });
  });

  afterAll(async () => {
    await predictionsFollower?.stop();
    await producer?.disconnect();
  });

  it('counts vectors as unscored until a model exists, then scores with the latest version', async () => {
    const registry = createMetricsRegistry('scorer');
    const app: ScorerApp = await startScorerApp(config, logger, registry);
    try {
      await producer.send(topics.features, [{ key: 'user-0', value: vector(0, { session_add_to_carts: 3 }) }]);
      await eventually(
        async () => ((await counterValue(registry, 'telltale_scorer_unscored_total', { reason: 'no_model' })) >= 1 ? true : undefined),
        'the unscored counter',
      );

      // Version 2, then a late version 1: the scorer must stay on 2.
      const live = model(2, -1);
      await producer.send(topics.models, [{ key: live.name, value: live }]);
      await producer.send(topics.models, [{ key: live.name, value: model(1, 5) }]);
      await eventually(() => (app.service.currentModel()?.version === 2 ? true : undefined), 'model version 2 in use');

      const vectors = Array.from({ length: 25 }, (_, i) =>
        vector(i + 1, {
          session_add_to_carts: i % 4,
          session_cart_value: i * 7.5,
          // Every third vector lacks session_events (scored at its mean), some carry a feature the model lacks.
          ...(i % 3 === 0 ? {} : { session_events: i }),
          ...(i % 5 === 0 ? { brand_new_feature: 1 } : {}),
        }),
      );
      // Sent after the late version 1, so any prediction with version 1 would show it replaced version 2.
      await producer.send(topics.features, vectors.map((v) => ({ key: v.userKey, value: v })));
      await eventually(() => (predictions.length >= vectors.length ? true : undefined), `${vectors.length} predictions`);

      const byMessage = new Map(predictions.map((p) => [p.messageId, p]));
      for (const v of vectors) {
        const p = byMessage.get(v.messageId);
        expect(p).toMatchObject({ userKey: v.userKey, sessionId: v.sessionId, modelName: 'purchase_propensity', modelVersion: 2, eventTime: v.eventTime });
        expect(p!.probability).toBe(scoreProbability(live, v.features));
        expect(p!.predictedAt).toBeGreaterThanOrEqual(v.eventTime);
      }
      expect(byMessage.has('m-0')).toBe(false); // no fake score for the vector that came before any model
      expect(new Set(predictions.map((p) => p.probability)).size).toBeGreaterThan(5);
      expect(await counterValue(registry, 'telltale_scorer_predictions_total', { model: 'purchase_propensity' })).toBe(vectors.length);
      expect(await counterValue(registry, 'telltale_scorer_model_version', { model: 'purchase_propensity' })).toBe(2);
      expect(app.checks.consumer!()).toEqual({ ok: true });
    } finally {
      await app.close();
    }
    // Offsets were committed after the predictions were acknowledged, the unscored vector's included.
    expect(await consumerLag(kafka, config.SCORER_GROUP_ID, topics.features.name)).toBe(0);
  });

  it('after a restart, reads the model back before scoring the first vector', async () => {
    const app = await startScorerApp(config, logger, createMetricsRegistry('scorer'));
    try {
      // Already there when start resolves: the models topic was read to its end first.
      expect(app.service.currentModel()?.version).toBe(2);
      await producer.send(topics.features, [{ key: 'user-9', value: vector(99, { session_add_to_carts: 1 }) }]);
      const p = await waitForPrediction('m-99');
      expect(p.modelVersion).toBe(2);
      expect(p.probability).toBe(scoreProbability(model(2, -1), { session_add_to_carts: 1 }));
    } finally {
      await app.close();
    }
    expect(await consumerLag(kafka, config.SCORER_GROUP_ID, topics.features.name)).toBe(0);
    expect(predictions.filter((p) => p.messageId === 'm-1')).toHaveLength(1);
  });
});
