// End to end, as a user runs it: the five services as processes, a batch POSTed to the collector, rows read back
// from ClickHouse, and the prediction read from the predictions topic and decoded with nothing but its .avsc file.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import avro from 'avsc';
import { topicsFor, type AvroCodec, type Model, type Topic } from '@telltale/contracts';
import { consumerLag, ensureTopics, type KafkaClient } from '@telltale/kafka';
import { scoreProbability } from '@telltale/model';
import { createTestDatabase, eventually, freePort, readTopicUntil, testId, testKafka, type TestDatabase } from '@telltale/testing';
import { REPO_ROOT } from './infrastructure';
import { startPipeline, type Pipeline } from './pipeline';

const MINUTE = 60_000;

/**
 * Segment events of one simulated visitor. Every third one buys: a returning visitor (an earlier session two hours
 * before) who adds to cart. Some others add to cart and leave. Something a logistic regression can learn.
 */
function trainingSession(i: number, start: number) {
  const user = `train-${i}`;
  const at = (s: number) => new Date(start + s * 1000).toISOString();
  const buys = i % 3 === 0;
  const events: Array<Record<string, unknown>> = [
    ...(buys ? [{ type: 'page', anonymousId: user, messageId: `${user}-0`, timestamp: at(-7200), context: { page: { path: '/' } } }] : []),
    { type: 'page', anonymousId: user, messageId: `${user}-1`, timestamp: at(0), context: { page: { path: '/' } } },
    { type: 'track', event: 'Product Clicked', anonymousId: user, messageId: `${user}-2`, timestamp: at(5), properties: { productId: 'p1' } },
  ];
  if (buys || i % 5 === 0) {
    events.push({ type: 'track', event: 'Product Added', anonymousId: user, messageId: `${user}-3`, timestamp: at(9), properties: { productId: 'p1', price: 20, quantity: 1 } });
  }
  if (buys) {
    events.push({ type: 'track', event: 'Order Completed', anonymousId: user, messageId: `${user}-4`, timestamp: at(20), properties: { revenue: 20 } });
  }
  return events;
}

describe('pipeline end to end', () => {
  const prefix = `${testId('e2e')}.`;
  const topics = topicsFor(prefix);
  const groups = { enricher: testId('enricher'), sink: testId('sink'), scorer: testId('scorer') };
  let kafka: KafkaClient;
  let db: TestDatabase;
  let pipeline: Pipeline | undefined;
  let collectorUrl: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    kafka = testKafka();
    await ensureTopics(kafka, Object.values(topics));
    const ports = {
      collector: await freePort(),
      enricher: await freePort(),
      sink: await freePort(),
      trainer: await freePort(),
      scorer: await freePort(),
    };
    collectorUrl = `http://127.0.0.1:${ports.collector}`;
    pipeline = await startPipeline({
      ports,
      logDir: path.join(REPO_ROOT, '.local', 'logs', prefix.slice(0, -1)),
      env: {
        KAFKA_BROKERS: process.env.KAFKA_BROKERS,
        CLICKHOUSE_URL: db.settings.url,
        CLICKHOUSE_DATABASE: db.settings.database,
        TOPIC_PREFIX: prefix,
        ENRICHER_GROUP_ID: groups.enricher,
        SINK_GROUP_ID: groups.sink,
        SCORER_GROUP_ID: groups.scorer,
        SINK_MAX_WAIT_MS: '200',
        TRAINER_INTERVAL_S: '3',
        TRAINER_MIN_ROWS: '50',
        TRAINER_LABEL_DELAY_S: '0',
        // Every model is published: the test waits for the one trained on all of the history.
        TRAINER_PROMOTION_METRIC: 'none',
        LOG_LEVEL: 'info',
      },
    });
  });

  afterAll(async () => {
    await pipeline?.stop();
    await db?.drop();
  });

  const postBatch = async (batch: unknown[]) => {
    const res = await fetch(`${collectorUrl}/v1/batch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ batch }) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('turns a POSTed batch into ClickHouse rows and a prediction for that user', async () => {
    // 1. History to learn from, an hour ago so every session is over.
    const historyStart = Date.now() - 60 * MINUTE;
    const history = Array.from({ length: 90 }, (_, i) => trainingSession(i, historyStart + i * 1000)).flat();
    for (let i = 0; i < history.length; i += 100) {
      expect(await postBatch(history.slice(i, i + 100))).toMatchObject({ status: 200 });
    }
    // Labelled snapshots once all of it is in: buyers 1 (earlier session) + 3 before the purchase, cart leavers 3,
    // the rest 2. The trainer runs every 3 s, so wait for the model that saw all of them.
    const labelledRows = 30 * 4 + 12 * 3 + 48 * 2;
    const trainedOnAll = (m: Model) => m.metrics.trainRows + m.metrics.testRows + (m.metrics.holdout?.rows ?? 0) === labelledRows;
    const models = await readTopicUntil(kafka, topics.models, (r) => r.some((m) => trainedOnAll(m.value)), 120_000);
    const model: Model = models.find((m) => trainedOnAll(m.value))!.value;
    expect(model).toMatchObject({ name: 'purchase_propensity', version: expect.any(Number), featureNames: expect.arrayContaining(['session_add_to_carts', 'user_prior_sessions']) });
    expect(model.metrics.auc).toBeGreaterThan(0.8);

    // 2. The user under test: a returning visitor (first visit two hours ago) who views a page, then adds to cart.
    const t = Date.now() - 5000;
    const batch = [
      { type: 'page', userId: 'e2e-user', messageId: 'e2e-m0', timestamp: new Date(t - 120 * MINUTE).toISOString(), context: { page: { path: '/' } } },
      { type: 'page', userId: 'e2e-user', messageId: 'e2e-m1', timestamp: new Date(t).toISOString(), context: { page: { path: '/shoes', url: 'https://shop.test/shoes' } } },
      { type: 'track', event: 'Product Added', userId: 'e2e-user', messageId: 'e2e-m2', timestamp: new Date(t + 2000).toISOString(), properties: { productId: 'sku-42', category: 'shoes', price: 42.5, quantity: 2 } },
    ];
    expect(await postBatch(batch)).toEqual({ status: 200, body: { success: true, accepted: 3 } });

    // 3. The rows in ClickHouse, with their values.
    const rows = await eventually(async () => {
      const rs = await db.client.query({
        query: `SELECT message_id, type, event, kind, user_key, user_id, session_id, toUnixTimestamp64Milli(event_time) AS event_ms,
                       page_path, page_url, product_id, category, price, quantity
                FROM events FINAL WHERE user_key = {user:String} ORDER BY event_time`,
        query_params: { user: 'e2e-user' },
        format: 'JSONEachRow',
      });
      const found = await rs.json<Record<string, unknown>>();
      return found.length === 3 ? found : undefined;
    }, 'the three events in ClickHouse');
    const session = rows[1]!.session_id;
    expect(rows[0]!.session_id).not.toBe(session); // two hours apart: another session
    expect(rows.map((r) => ({ ...r, event_ms: Number(r.event_ms) }))).toEqual([
      { message_id: 'e2e-m0', type: 'page', event: 'page', kind: 'page_view', user_key: 'e2e-user', user_id: 'e2e-user', session_id: rows[0]!.session_id, event_ms: t - 120 * MINUTE, page_path: '/', page_url: null, product_id: null, category: null, price: null, quantity: null },
      { message_id: 'e2e-m1', type: 'page', event: 'page', kind: 'page_view', user_key: 'e2e-user', user_id: 'e2e-user', session_id: session, event_ms: t, page_path: '/shoes', page_url: 'https://shop.test/shoes', product_id: null, category: null, price: null, quantity: null },
      { message_id: 'e2e-m2', type: 'track', event: 'Product Added', kind: 'add_to_cart', user_key: 'e2e-user', user_id: 'e2e-user', session_id: session, event_ms: t + 2000, page_path: null, page_url: null, product_id: 'sku-42', category: 'shoes', price: 42.5, quantity: 2 },
    ]);

    // 4. The prediction, decoded from raw bytes with only schemas/prediction.avsc.
    const schema = JSON.parse(readFileSync(path.join(REPO_ROOT, 'schemas', 'prediction.avsc'), 'utf8'));
    const type = avro.Type.forSchema(schema);
    const rawBytes: AvroCodec<Buffer> = { ...topics.predictions.codec, decode: (b: Buffer) => b } as unknown as AvroCodec<Buffer>;
    const rawPredictions: Topic<Buffer> = { ...topics.predictions, codec: rawBytes } as unknown as Topic<Buffer>;
    const decode = (bytes: Buffer) => {
      expect([...bytes.subarray(0, 2)]).toEqual([0xc3, 0x01]); // single-object encoding marker
      return type.fromBuffer(bytes.subarray(10)) as Record<string, unknown>;
    };
    const records = await readTopicUntil(kafka, rawPredictions, (r) => r.some((x) => decode(x.value).messageId === 'e2e-m2'));
    const prediction = records.map((r) => ({ key: r.key, value: decode(r.value) })).find((r) => r.value.messageId === 'e2e-m2')!;
    expect(prediction.key).toBe('e2e-user');

    // The probability is the live model applied to the feature vector the enricher published for that event.
    const features = await readTopicUntil(kafka, topics.features, (r) => r.some((x) => x.value.messageId === 'e2e-m2'));
    const vector = features.find((x) => x.value.messageId === 'e2e-m2')!.value;
    expect(vector.features).toMatchObject({ session_events: 2, session_page_views: 1, session_add_to_carts: 1, session_cart_value: 85, user_prior_sessions: 1 });
    const usedModel = models.map((m) => m.value).concat(await readTopicUntil(kafka, topics.models, (r) => r.length > 0).then((r) => r.map((m) => m.value)))
      .find((m) => m.version === prediction.value.modelVersion)!;
    expect(prediction.value).toEqual({
      userKey: 'e2e-user',
      sessionId: session,
      messageId: 'e2e-m2',
      modelName: 'purchase_propensity',
      modelVersion: usedModel.version,
      probability: expect.closeTo(scoreProbability(usedModel, vector), 12),
      eventTime: t + 2000,
      predictedAt: expect.any(Number),
      receivedAt: vector.receivedAt,
    });
    // The collector's receipt time, carried through the enricher: what receipt-to-prediction latency is measured from.
    expect(vector.receivedAt).toBeGreaterThan(0);
    expect(vector.receivedAt).toBeLessThanOrEqual(prediction.value.predictedAt as number);
    // Returning and adding to cart is what buyers did in the history: the model rates this session above the base rate.
    expect(prediction.value.probability as number).toBeGreaterThan(usedModel.metrics.positiveRate);

    // 5. And the prediction is queryable in ClickHouse too.
    await eventually(async () => {
      const rs = await db.client.query({
        query: 'SELECT probability FROM predictions WHERE message_id = {id:String}',
        query_params: { id: 'e2e-m2' },
        format: 'JSONEachRow',
      });
      const found = await rs.json<{ probability: number }>();
      return found.some((r) => Math.abs(r.probability - (prediction.value.probability as number)) < 1e-12);
    }, 'the prediction in ClickHouse');
  });

  it('stops on SIGTERM with exit code 0, every consumed record processed and committed', async () => {
    await pipeline!.stop();
    const exits = Object.fromEntries(pipeline!.services.map((s) => [s.name, s.exit]));
    const clean = { code: 0, signal: null };
    expect(exits).toEqual({ collector: clean, enricher: clean, sink: clean, trainer: clean, scorer: clean });
    expect(await consumerLag(kafka, groups.enricher, topics.rawEvents.name)).toBe(0);
    expect(await consumerLag(kafka, groups.sink, topics.cleanEvents.name)).toBe(0);
    expect(await consumerLag(kafka, groups.sink, topics.predictions.name)).toBe(0);
    expect(await consumerLag(kafka, groups.scorer, topics.features.name)).toBe(0);
  });
});
