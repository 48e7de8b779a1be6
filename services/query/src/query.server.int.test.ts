import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { Analytics } from '@telltale/queries';
import { insertFixture } from '@telltale/queries/src/analytics.fixture';
import { createMetricsRegistry } from '@telltale/runtime';
import { createTestDatabase, testLogger, type TestDatabase } from '@telltale/testing';
import { loadQueryConfig } from './query.config';
import { openApiDocument } from './query.openapi';
import { buildQueryServer, registeredRoutes } from './query.server';
import { readOnlyClient } from './query.service';
import { ReadKeys } from './read-keys';

const KEY = 'rk_test_key_1';

describe('query API on the real engine', () => {
  let db: TestDatabase;
  let app: FastifyInstance;
  let base: string;
  const get = (path: string, key: string | null = KEY) => fetch(`${base}${path}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });

  beforeAll(async () => {
    db = await createTestDatabase();
    await insertFixture(db.client);
    const config = loadQueryConfig({ CLICKHOUSE_URL: process.env.CLICKHOUSE_URL, CLICKHOUSE_DATABASE: db.settings.database, QUERY_READ_KEYS: `${KEY}:test,rk_limited_1:limited` });
    // `limited` may make 2 requests, then 1 per 100 s: the third is refused.
    const readKeys = new ReadKeys(config.QUERY_READ_KEYS, { perSecond: 1_000, burst: 1_000 });
    const limited = new ReadKeys(config.QUERY_READ_KEYS, { perSecond: 0.01, burst: 2 });
    const keys = { authenticate: (a: string | undefined) => readKeys.authenticate(a), take: (name: string) => (name === 'limited' ? limited.take(name) : readKeys.take(name)) } as ReadKeys;
    app = buildQueryServer({ analytics: new Analytics(readOnlyClient(config)), readKeys: keys, logger: testLogger(), registry: createMetricsRegistry('query'), health: {} });
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it('answers a funnel and a person’s prediction with its explanation', async () => {
    const funnel = await get('/v1/funnel?from=2024-05-01&to=2024-05-02&steps=page_view,add_to_cart,purchase&by=device_type');
    expect(funnel.status).toBe(200);
    const f = (await funnel.json()) as { overall: { sessions: number; steps: Array<{ count: number }> }; by: { groups: unknown[] } };
    expect(f.overall.sessions).toBe(6);
    expect(f.overall.steps.map((s) => s.count)).toEqual([5, 2, 1]);
    expect(f.by.groups).toHaveLength(3);

    const prediction = await get('/v1/users/anon-1/prediction');
    expect(prediction.status).toBe(200);
    expect(await prediction.json()).toMatchObject({
      person: 'fay',
      modelVersion: 2,
      probability: 0.4,
      predictedAt: '2024-05-02T10:00:00.050Z',
      explanation: { top: [{ input: 'session_duration_s' }, { input: 'event_kind_page_view' }, { input: 'log1p_session_events' }] },
    });
    const person = await get('/v1/users/anon-2?events=2');
    expect(person.status).toBe(200);
    expect(await person.json()).toMatchObject({ person: 'fay', anonymousIds: ['anon-1', 'anon-2'], traits: { plan: { value: 'pro' } } });
    expect((await get('/v1/top/campaigns?from=2024-05-01&to=2024-05-06')).status).toBe(200);
    expect((await get('/v1/retention?from=2024-05-01&to=2024-05-06&periods=2')).status).toBe(200);
    expect((await get('/v1/active?from=2024-05-01&to=2024-05-06&unit=week')).status).toBe(200);
    expect((await get('/v1/calibration?from=2024-05-01&to=2024-05-03')).status).toBe(200);
  });

  it('scores a posted feature vector with the live model, and names the field of a bad one', async () => {
    const post = (body: unknown) => fetch(`${base}/v1/score`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const ok = await post({ eventKind: 'page_view', features: { session_events: 3, session_duration_s: 150 } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ modelVersion: 2, probability: expect.closeTo(1 / (1 + Math.exp(-(-2 - 0.4 + 0.9 * (Math.log(4) - 1) + 0.9))), 12) });

    const bad = await post({ eventKind: 'page_view', features: { session_events: 'many' } });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: 'invalid', field: 'features.session_events', reason: 'Expected number, received string' });
    const missing = await post({ features: {} });
    expect(await missing.json()).toMatchObject({ field: 'eventKind', reason: 'Required' });
  });

  it('400 names the field and the reason', async () => {
    const res = await get('/v1/funnel?steps=page_view');
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'invalid', field: 'steps', reason: 'at least 2 steps' });
    expect(await (await get('/v1/top/visitors')).json()).toMatchObject({ field: 'subject' });
    expect(await (await get('/v1/active?from=tomorrow')).json()).toMatchObject({ field: 'from', reason: expect.stringContaining('ISO date') });
  });

  it('404 for an unknown person and for an id without a prediction', async () => {
    const res = await get('/v1/users/nobody');
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: 'not_found', reason: 'no event of this id is known' });
    expect((await get('/v1/users/nobody/prediction')).status).toBe(404);
  });

  it('401 without a read key or with an unknown one; /healthz, /metrics and /openapi.json need none', async () => {
    for (const key of [null, 'not-a-read-key']) {
      const res = await get('/v1/active', key);
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: 'unauthorized', field: 'Authorization' });
    }
    expect((await get('/healthz', null)).status).toBe(200);
    expect((await get('/metrics', null)).status).toBe(200);
  });

  it('429 with Retry-After once a key is over its rate limit', async () => {
    expect((await get('/v1/active', 'rk_limited_1')).status).toBe(200);
    expect((await get('/v1/active', 'rk_limited_1')).status).toBe(200);
    const res = await get('/v1/active', 'rk_limited_1');
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // Another key is not held back by it.
    expect((await get('/v1/active')).status).toBe(200);
  });

  it('reaches ClickHouse read-only: a write through the API’s client is refused by ClickHouse', async () => {
    const config = loadQueryConfig({ CLICKHOUSE_URL: process.env.CLICKHOUSE_URL, CLICKHOUSE_DATABASE: db.settings.database, QUERY_READ_KEYS: `${KEY}:test` });
    const client = readOnlyClient(config, testLogger());
    try {
      await expect(client.command({ query: "INSERT INTO identities (anonymous_id, user_id, first_linked, source, message_id) VALUES ('x', 'y', now64(3), 'identify', 'm')" })).rejects.toThrow(/readonly/i);
      await expect(client.command({ query: 'DROP TABLE events' })).rejects.toThrow(/readonly/i);
    } finally {
      await client.close();
    }
    // Nothing was written or dropped.
    const rs = await db.client.query({ query: "SELECT count() AS n FROM identities WHERE anonymous_id = 'x'", format: 'JSONEachRow' });
    expect(await rs.json()).toEqual([{ n: '0' }]);
  });

  it('GET /openapi.json documents exactly the registered routes', async () => {
    const res = await get('/openapi.json', null);
    const doc = (await res.json()) as typeof openApiDocument;
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method} ${path}`));
    // fastify adds HEAD for every GET: not an API route.
    const served = registeredRoutes(app)
      .filter((r) => r.method !== 'head')
      .map((r) => `${r.method} ${r.url.replace(/:(\w+)/g, '{$1}')}`);
    expect(served.length).toBeGreaterThanOrEqual(11);
    expect(documented.sort()).toEqual([...new Set(served)].sort());
  });
});
