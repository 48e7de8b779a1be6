import { topicsFor, type FeatureVector, type Model, type Prediction } from '@telltale/contracts';
import { consumerLag, followTopic, type AvroProducer, type KafkaClient, type TopicFollower } from '@telltale/kafka';
import { FEATURE_TRANSFORM, compileModel, scoreProbability } from '@telltale/model';
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
  runId: `run-${version}`,
  featureTransform: FEATURE_TRANSFORM,
  featureNames: ['session_add_to_carts', 'log1p_session_cart_value', 'session_events', 'event_kind_click'],
  means: [0.8, 2, 4, 0.3],
  stds: [1.1, 1.5, 3, 0.45],
  weights: [1.4, 0.6, -0.2, 0.3],
  intercept,
  metrics: { auc: 0.9, logLoss: 0.3, ece: 0.01, trainRows: 100, testRows: 30, positiveRate: 0.2, holdout: null },
});

const vector = (i: number, features: Record<string, number>, eventKind = i % 2 ? 'click' : 'page_view'): FeatureVector => ({
  userKey: `user-${i % 5}`,
  sessionId: `session-${i % 7}`,
  messageId: `m-${i}`,
  eventKind,
  eventTime: Date.now() - 50,
  computedAt: Date.now(),
  receivedAt: Date.now() - 20,
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
        expect(p).toMatchObject({ userKey: v.userKey, sessionId: v.sessionId, modelName: 'purchase_propensity', modelVersion: 2, eventTime: v.eventTime, receivedAt: v.receivedAt });
        expect(p!.probability).toBe(scoreProbability(live, v));
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
      const v = vector(99, { session_add_to_carts: 1 });
      await producer.send(topics.features, [{ key: 'user-9', value: v }]);
      const p = await waitForPrediction('m-99');
      expect(p.modelVersion).toBe(2);
      expect(p.probability).toBe(scoreProbability(model(2, -1), v));
    } finally {
      await app.close();
    }
    expect(await consumerLag(kafka, config.SCORER_GROUP_ID, topics.features.name)).toBe(0);
    expect(predictions.filter((p) => p.messageId === 'm-1')).toHaveLength(1);
  });
});

describe('scorer swapping models under load, on a real broker', () => {
  const prefix = `${id('scorer-swap')}.`;
  const topics = topicsFor(prefix);
  const config = loadScorerConfig({ KAFKA_BROKERS: process.env.KAFKA_BROKERS, TOPIC_PREFIX: prefix, SCORER_GROUP_ID: id('group'), ADMIN_PORT: '0' });

  it('names the model of every prediction, never scores one batch with two versions, and leaves no vector unscored', async () => {
    const { client: kafka, producer } = await testStage(prefix);
    const predictions: Prediction[] = [];
    const reader = await followTopic(kafka, topics.predictions, (p) => predictions.push(p), { groupIdPrefix: id('reader') });
    // A strictly increasing clock: each batch calls it once, so predictedAt tells the batches apart.
    let last = 0;
    const batchClock = () => (last = Math.max(last + 1, Date.now()));
    const registry = createMetricsRegistry('scorer');
    const app = await startScorerApp(config, logger, registry, undefined, batchClock);
    const sent: FeatureVector[] = [];
    const send = async (count: number) => {
      const chunk = Array.from({ length: count }, (_, k) => {
        const i = sent.length + k;
        return { ...vector(i, { session_add_to_carts: i % 3, session_cart_value: (i % 11) * 9, session_events: 1 + (i % 6) }), userKey: `swap-user-${i % 12}` };
      });
      sent.push(...chunk);
      await producer.send(topics.features, chunk.map((v) => ({ key: v.userKey, value: v })));
    };
    const models = new Map([1, 2].map((version) => [version, model(version, version === 1 ? -2 : 1)]));
    try {
      await producer.send(topics.models, [{ key: 'purchase_propensity', value: models.get(1)! }]);
      await eventually(() => (app.service.currentModel()?.version === 1 ? true : undefined), 'model version 1 in use');

      // Vectors keep coming while version 2 is published and loaded, and while a model the scorer cannot use arrives.
      let sending = true;
      const traffic = (async () => {
        while (sending) await send(20);
      })();
      await eventually(() => (predictions.length >= 100 ? true : undefined), 'predictions with version 1');
      await producer.send(topics.models, [{ key: 'purchase_propensity', value: models.get(2)! }]);
      await eventually(() => (app.service.currentModel()?.version === 2 ? true : undefined), 'model version 2 in use');
      const sentBeforeV2Live = sent.length;
      await producer.send(topics.models, [{ key: 'purchase_propensity', value: { ...model(3, 0), featureTransform: 'telltale.inputs.v999' } }]);
      await eventually(async () => ((await counterValue(registry, 'telltale_scorer_invalid_models_total', { model: 'purchase_propensity' })) >= 1 ? true : undefined), 'version 3 refused');
      const sentAfterRefusal = sent.length;
      await eventually(() => (sent.length >= sentAfterRefusal + 100 ? true : undefined), 'more vectors after the refused model');
      sending = false;
      await traffic;
      await eventually(() => (predictions.length >= sent.length ? true : undefined), `${sent.length} predictions`);

      const byMessage = new Map(predictions.map((p) => [p.messageId, p]));
      expect(byMessage.size).toBe(sent.length); // every vector scored once: no gap while a model loads
      expect(await counterValue(registry, 'telltale_scorer_unscored_total', { reason: 'no_model' })).toBe(0);
      const versionsByBatch = new Map<number, Set<number>>();
      sent.forEach((v, i) => {
        const p = byMessage.get(v.messageId)!;
        // The version a prediction names is the model that computed it.
        expect(p.probability).toBe(compileModel(models.get(p.modelVersion)!).probability(v));
        if (i >= sentBeforeV2Live) expect(p.modelVersion).toBe(2);
        versionsByBatch.set(p.predictedAt, (versionsByBatch.get(p.predictedAt) ?? new Set()).add(p.modelVersion));
      });
      expect([...versionsByBatch.values()].filter((versions) => versions.size > 1)).toEqual([]);
      expect(new Set(predictions.map((p) => p.modelVersion))).toEqual(new Set([1, 2]));
      // Within a user (one partition, in order) the version never goes back.
      for (let u = 0; u < 12; u++) {
        const versions = sent.filter((v) => v.userKey === `swap-user-${u}`).map((v) => byMessage.get(v.messageId)!.modelVersion);
        expect(versions).toEqual([...versions].sort((a, b) => a - b));
      }
    } finally {
      await app.close();
      await reader.stop();
      await producer.disconnect();
    }
  });
});
