// End to end through the query API: events POSTed to the collector show up in the person's timeline and in the funnel,
// and their prediction, with its explanation, is served by GET /v1/users/{id}/prediction (services as processes).
import path from 'node:path';
import { topicsFor } from '@telltale/contracts';
import { ensureTopics } from '@telltale/kafka';
import { createTestDatabase, eventually, freePort, testId, testKafka, type TestDatabase } from '@telltale/testing';
import { REPO_ROOT } from './infrastructure';
import { startPipeline, type Pipeline } from './pipeline';

const MINUTE = 60_000;
const READ_KEY = 'e2e-read-key';

/** A visitor's session; every third buys after adding to cart: something a logistic regression can learn. */
function trainingSession(i: number, start: number) {
  const user = `train-${i}`;
  const at = (s: number) => new Date(start + s * 1000).toISOString();
  const events: Array<Record<string, unknown>> = [
    { type: 'page', anonymousId: user, messageId: `${user}-1`, timestamp: at(0), context: { page: { path: '/' } } },
    { type: 'track', event: 'Product Clicked', anonymousId: user, messageId: `${user}-2`, timestamp: at(5), properties: { productId: 'p1' } },
  ];
  if (i % 3 === 0 || i % 5 === 0) events.push({ type: 'track', event: 'Product Added', anonymousId: user, messageId: `${user}-3`, timestamp: at(9), properties: { productId: 'p1', price: 20 } });
  if (i % 3 === 0) events.push({ type: 'track', event: 'Order Completed', anonymousId: user, messageId: `${user}-4`, timestamp: at(20), properties: { revenue: 20 } });
  return events;
}

describe('query API end to end', () => {
  const prefix = `${testId('qe2e')}.`;
  const topics = topicsFor(prefix);
  let db: TestDatabase;
  let pipeline: Pipeline | undefined;
  let collectorUrl: string;
  let apiUrl: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    await ensureTopics(testKafka(), Object.values(topics));
    const ports = { collector: await freePort(), enricher: await freePort(), sink: await freePort(), trainer: await freePort(), scorer: await freePort(), query: await freePort() };
    collectorUrl = `http://127.0.0.1:${ports.collector}`;
    apiUrl = `http://127.0.0.1:${ports.query}`;
    pipeline = await startPipeline({
      ports,
      services: ['collector', 'enricher', 'sink', 'trainer', 'scorer', 'query'],
      logDir: path.join(REPO_ROOT, '.local', 'logs', prefix.slice(0, -1)),
      env: {
        KAFKA_BROKERS: process.env.KAFKA_BROKERS,
        CLICKHOUSE_URL: db.settings.url,
        CLICKHOUSE_DATABASE: db.settings.database,
        TOPIC_PREFIX: prefix,
        ENRICHER_GROUP_ID: testId('enricher'),
        SINK_GROUP_ID: testId('sink'),
        SCORER_GROUP_ID: testId('scorer'),
        SINK_MAX_WAIT_MS: '200',
        TRAINER_INTERVAL_S: '3',
        TRAINER_MIN_ROWS: '50',
        TRAINER_LABEL_DELAY_S: '0',
        TRAINER_PROMOTION_METRIC: 'none',
        QUERY_READ_KEYS: `${READ_KEY}:test`,
        COLLECTOR_WRITE_KEYS: '',
      },
    });
  });

  afterAll(async () => {
    await pipeline?.stop();
    await db?.drop();
  });

  const post = async (batch: unknown[]) => (await fetch(`${collectorUrl}/v1/batch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ batch }) })).status;
  const get = async (p: string) => {
    const res = await fetch(`${apiUrl}${p}`, { headers: { authorization: `Bearer ${READ_KEY}` } });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('serves the posted events in the person’s timeline and the funnel, and their prediction with its explanation', async () => {
    const historyStart = Date.now() - 60 * MINUTE;
    const history = Array.from({ length: 90 }, (_, i) => trainingSession(i, historyStart + i * 1000)).flat();
    for (let i = 0; i < history.length; i += 100) expect(await post(history.slice(i, i + 100))).toBe(200);
    // A model first: predictions need one.
    await eventually(async () => (await db.client.query({ query: 'SELECT count() AS n FROM models WHERE promoted', format: 'JSONEachRow' }).then((r) => r.json<{ n: string }>()))[0]!.n !== '0', 'a promoted model', 120_000);

    // The visitor: browses anonymously, logs in (identify links the anonymous id), adds to cart.
    const t = Date.now() - 5_000;
    const at = (s: number) => new Date(t + s * 1000).toISOString();
    expect(
      await post([
        { type: 'page', anonymousId: 'e2e-anon', messageId: 'q-m1', timestamp: at(0), context: { page: { path: '/shoes' } } },
        { type: 'identify', anonymousId: 'e2e-anon', userId: 'e2e-shopper', messageId: 'q-m2', timestamp: at(1), traits: { plan: 'gold' } },
        { type: 'track', event: 'Product Added', userId: 'e2e-shopper', anonymousId: 'e2e-anon', messageId: 'q-m3', timestamp: at(2), properties: { productId: 'sku-1', price: 30 } },
      ]),
    ).toBe(200);

    // The timeline, asked by the anonymous id: the person is the user, with the trait and all three events.
    const person = await eventually(async () => {
      const r = await get('/v1/users/e2e-anon');
      const events = (r.body.events as Array<{ messageId: string }> | undefined) ?? [];
      return r.status === 200 && events.length === 3 ? r.body : undefined;
    }, 'the person’s three events through the API');
    expect(person).toMatchObject({ person: 'e2e-shopper', userId: 'e2e-shopper', anonymousIds: ['e2e-anon'], traits: { plan: { value: 'gold' } } });
    expect((person.events as Array<{ messageId: string }>).map((e) => e.messageId)).toEqual(['q-m3', 'q-m2', 'q-m1']);

    // The funnel over the last minutes counts the session: it viewed and added to cart.
    const funnel = await get(`/v1/funnel?from=${encodeURIComponent(new Date(t - 1000).toISOString())}&to=now&steps=page_view,add_to_cart`);
    expect(funnel.status).toBe(200);
    expect((funnel.body.overall as { steps: Array<{ count: number }> }).steps.map((s) => s.count)).toEqual([1, 1]);

    // The prediction of the add-to-cart, with its explanation, by either id.
    const prediction = await eventually(async () => {
      const r = await get('/v1/users/e2e-shopper/prediction');
      return r.status === 200 && r.body.messageId === 'q-m3' ? r.body : undefined;
    }, 'the add-to-cart’s prediction through the API');
    const explanation = prediction.explanation as { intercept: number; logit: number; top: Array<{ input: string; contribution: number }> };
    expect(explanation.top).toHaveLength(3);
    expect(1 / (1 + Math.exp(-explanation.logit))).toBeCloseTo(prediction.probability as number, 12);
    expect((await get('/v1/users/e2e-anon/prediction')).body).toMatchObject({ person: 'e2e-shopper', messageId: 'q-m3' });
    // As stored in ClickHouse, beside the prediction.
    const rs = await db.client.query({ query: "SELECT explanation FROM predictions WHERE message_id = 'q-m3'", format: 'JSONEachRow' });
    expect(JSON.parse((await rs.json<{ explanation: string }>())[0]!.explanation)).toEqual(explanation);
  }, 300_000);
});
