// The live view's reads against the real engine (chDB behind chdb-server): a migrated database with a few rows of each
// table, read through the read-only client the console uses, and the HTTP routes a browser uses.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClickHouseClient, toClickHouseTime, type ClickHouseClient } from '@telltale/clickhouse';
import { Counter, Gauge, Histogram, Registry, createMetricsRegistry } from '@telltale/runtime';
import { createTestDatabase, eventually, testLogger, type TestDatabase } from '@telltale/testing';
import { startConsoleServer, type ConsoleServer } from './console.server';
import { LiveViewSampler, type LiveSnapshot } from './live-view.sampler';

function samplerMetrics(registry: Registry) {
  const registers = [registry];
  return {
    refreshes: new Counter({ name: 't_refreshes_total', help: 'h', labelNames: ['outcome'], registers }),
    sourceErrors: new Counter({ name: 't_source_errors_total', help: 'h', labelNames: ['source'], registers }),
    refreshSeconds: new Histogram({ name: 't_refresh_seconds', help: 'h', registers }),
  };
}

/** A stand-in /metrics of a collector whose counter grows at every read: the rate must come out positive. */
async function growingMetricsServer(): Promise<{ url: string; close(): Promise<void> }> {
  let accepted = 0;
  const server = http.createServer((_req, res) => {
    accepted += 50;
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`telltale_collector_events_accepted_total ${accepted}\ntelltale_kafka_consumer_lag{topic="t.events.raw",partition="0"} 7\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('live view against ClickHouse', () => {
  let db: TestDatabase;
  let readOnly: ClickHouseClient;
  const now = Date.now();

  beforeAll(async () => {
    db = await createTestDatabase();
    readOnly = createClickHouseClient(db.settings, { readOnly: 'setting', logger: testLogger('clickhouse') });
    const at = (s: number) => toClickHouseTime(now - 60_000 + s * 1000);
    // Three sessions: one views only, one adds to cart, one buys.
    const events = [
      ['s1', 'page_view', 0],
      ['s2', 'page_view', 1],
      ['s2', 'add_to_cart', 2],
      ['s3', 'page_view', 3],
      ['s3', 'add_to_cart', 4],
      ['s3', 'purchase', 5],
    ].map(([session, kind, s], i) => ({ message_id: `m${i}`, type: 'track', event: kind, kind, user_key: `u-${session}`, session_id: session, event_time: at(s as number), received_at: at(s as number), enriched_at: at(s as number), properties: '{}' }));
    await db.client.insert({ table: 'events', values: events, format: 'JSONEachRow' });
    await db.client.insert({
      table: 'predictions',
      values: [0.05, 0.07, 0.52, 0.97].map((probability, i) => ({
        user_key: `u${i}`, session_id: `s${i}`, message_id: `p${i}`, model_name: 'purchase_propensity', model_version: 2, probability, event_time: at(i), predicted_at: at(i + 1),
      })),
      format: 'JSONEachRow',
    });
    const model = (runId: string, version: number | null, auc: number, ageS: number) => ({
      model_name: 'purchase_propensity', run_id: runId, trained_at: toClickHouseTime(now - ageS * 1000), version, promoted: version !== null, decision: version === null ? 'worse' : 'promoted',
      algorithm: 'lr', feature_transform: 'z', rows: 100, data_from: at(0), data_to: at(1), holdout_from: at(0), holdout_rows: 10, holdout_auc: auc, test_auc: 0.5,
    });
    await db.client.insert({ table: 'models', values: [model('r1', 1, 0.71, 30), model('r2', null, 0.69, 20), model('r3', 2, 0.83, 10)], format: 'JSONEachRow' });
    await db.client.insert({
      table: 'dead_letters',
      values: [1, 2, 3].map((i) => ({ stage: 'enricher', reason: 'required for purchase events', field: 'properties.revenue', payload_base64: '', failed_at: at(i) })).concat([{ stage: 'sink', reason: 'bad row', field: null as unknown as string, payload_base64: '', failed_at: at(4) }]),
      format: 'JSONEachRow',
    });
  });

  afterAll(async () => {
    await readOnly?.close();
    await db?.drop();
  });

  it('refuses writes on the read-only path and still reads', async () => {
    await expect(readOnly.command({ query: 'DROP TABLE dead_letters' })).rejects.toThrow(/readonly/i);
    await expect(readOnly.insert({ table: 'dead_letters', values: [{ stage: 'x', reason: 'y', payload_base64: '', failed_at: toClickHouseTime(now) }], format: 'JSONEachRow' })).rejects.toThrow(/readonly/i);
    const rs = await readOnly.query({ query: 'SELECT count() AS n FROM dead_letters', format: 'JSONEachRow' });
    expect(await rs.json()).toEqual([{ n: '4' }]);
  });

  it('reads every part of the page, and the server streams it to a browser as server-sent events', async () => {
    const metricsServer = await growingMetricsServer();
    const registry = createMetricsRegistry('console-test');
    const sampler = new LiveViewSampler({
      clickhouse: readOnly,
      targets: [{ name: 'collector', url: metricsServer.url }, { name: 'sink', url: 'http://127.0.0.1:9' }],
      refreshMs: 300,
      windowMin: 15,
      modelName: 'purchase_propensity',
      logger: testLogger('console'),
      metrics: samplerMetrics(registry),
    });
    let server: ConsoleServer | undefined;
    try {
      server = await startConsoleServer({
        port: 0,
        host: '127.0.0.1',
        source: sampler,
        registry,
        checks: { refresh: () => sampler.health() },
        viewers: new Gauge({ name: 't_viewers', help: 'h', registers: [registry] }),
      });
      sampler.start();
      const base = `http://127.0.0.1:${server.port}`;
      const snapshot = await eventually(async () => {
        const res = await fetch(`${base}/api/snapshot`);
        const s = (await res.json()) as LiveSnapshot;
        return (s.series?.at(-1)?.eventsPerS ?? 0) > 0 ? s : undefined;
      }, 'a snapshot with an events/s rate', 30_000);

      expect(snapshot.funnel).toEqual({ sessions: 3, viewed: 3, addedToCart: 2, purchased: 1, pView: 1, pCartGivenView: 2 / 3, pPurchaseGivenCart: 0.5, pPurchase: 1 / 3 });
      expect(snapshot.models!.map((m) => [m.version, m.promoted, m.auc])).toEqual([[1, true, 0.71], [null, false, 0.69], [2, true, 0.83]]);
      expect(snapshot.scores![1]).toBe(2); // 0.05 and 0.07
      expect(snapshot.scores![10]).toBe(1);
      expect(snapshot.scores![19]).toBe(1);
      expect(snapshot.tail!.map((p) => p.probability)).toEqual([0.97, 0.52, 0.07, 0.05]);
      expect(snapshot.deadLetters).toEqual([
        { stage: 'enricher', reason: 'required for purchase events', count: 3, lastMs: expect.any(Number) },
        { stage: 'sink', reason: 'bad row', count: 1, lastMs: expect.any(Number) },
      ]);
      expect(snapshot.lags).toEqual([{ stage: 'collector', topic: 't.events.raw', lag: 7 }]);
      // The sink's /metrics does not answer: only its part is missing, and the page is told why.
      expect(snapshot.services).toEqual([{ name: 'collector', up: true }, { name: 'sink', up: false }]);
      expect(Object.keys(snapshot.errors)).toEqual(['metrics: sink']);

      // The stream: at least two snapshots arrive on one connection, without asking again.
      const stream = await fetch(`${base}/api/stream`);
      expect(stream.headers.get('content-type')).toBe('text/event-stream');
      const reader = stream.body!.getReader();
      let text = '';
      while ((text.match(/event: snapshot/g) ?? []).length < 2) text += new TextDecoder().decode((await reader.read()).value);
      await reader.cancel();

      const page = await fetch(`${base}/`);
      expect(await page.text()).toContain('<script src="/app.js">');
      expect((await fetch(`${base}/api/snapshot`, { method: 'POST' })).status).toBe(405);
      const health = (await (await fetch(`${base}/healthz`)).json()) as { status: string; pid: number };
      expect(health).toMatchObject({ status: 'ok', pid: process.pid });
    } finally {
      await server?.close();
      await sampler.stop();
      await metricsServer.close();
    }
  });
});
