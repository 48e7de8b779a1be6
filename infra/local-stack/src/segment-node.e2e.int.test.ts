// Segment's Node library, unchanged, against the collector with a write key, through the enricher and the sink into
// ClickHouse: identify, track, page and an Order Completed without revenue (the e-commerce rule keeps it).
import path from 'node:path';
import { Analytics } from '@segment/analytics-node';
import { topicsFor } from '@telltale/contracts';
import { ensureTopics } from '@telltale/kafka';
import { createTestDatabase, eventually, freePort, testId, testKafka, type TestDatabase } from '@telltale/testing';
import { REPO_ROOT } from './infrastructure';
import { startPipeline, type Pipeline } from './pipeline';

describe('Segment analytics-node through collector, enricher and sink', () => {
  const prefix = `${testId('sdk')}.`;
  let db: TestDatabase;
  let pipeline: Pipeline | undefined;
  let collectorUrl: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    const kafka = testKafka();
    await ensureTopics(kafka, Object.values(topicsFor(prefix)));
    const ports = { collector: await freePort(), enricher: await freePort(), sink: await freePort() };
    collectorUrl = `http://127.0.0.1:${ports.collector}`;
    pipeline = await startPipeline({
      ports,
      services: ['collector', 'enricher', 'sink'],
      logDir: path.join(REPO_ROOT, '.local', 'logs', prefix.slice(0, -1)),
      env: {
        KAFKA_BROKERS: process.env.KAFKA_BROKERS,
        CLICKHOUSE_URL: db.settings.url,
        CLICKHOUSE_DATABASE: db.settings.database,
        TOPIC_PREFIX: prefix,
        ENRICHER_GROUP_ID: testId('enricher'),
        SINK_GROUP_ID: testId('sink'),
        SINK_MAX_WAIT_MS: '200',
        COLLECTOR_WRITE_KEYS: 'wk-node-backend-1:backend',
      },
    });
  }, 300_000);

  afterAll(async () => {
    await pipeline?.stop();
    await db?.drop();
  }, 120_000);

  it('lands identify, track, page and an Order Completed without revenue in ClickHouse, with the source', async () => {
    const errors: unknown[] = [];
    const analytics = new Analytics({ writeKey: 'wk-node-backend-1', host: collectorUrl, flushAt: 10 });
    analytics.on('error', (err) => errors.push(err));
    analytics.identify({ userId: 'omar', traits: { plan: 'pro' }, messageId: 'node-1' });
    analytics.track({ userId: 'omar', event: 'Product Added', properties: { product_id: 'sku-1', price: 12.5, quantity: 2 }, messageId: 'node-2' });
    analytics.page({ userId: 'omar', name: 'Cart', properties: { path: '/cart' }, messageId: 'node-3' });
    analytics.track({ userId: 'omar', event: 'Order Completed', properties: { product_id: 'sku-1', price: 12.5 }, messageId: 'node-4' });
    await analytics.closeAndFlush();
    expect(errors).toEqual([]);

    const rows = await eventually(
      async () => {
        const rs = await db.client.query({
          query: 'SELECT message_id, type, kind, user_key, revenue, source FROM events FINAL ORDER BY message_id',
          format: 'JSONEachRow',
        });
        const found = await rs.json<Record<string, unknown>>();
        return found.length >= 4 ? found : undefined;
      },
      'four events in ClickHouse',
      120_000,
    );
    expect(rows).toEqual([
      { message_id: 'node-1', type: 'identify', kind: 'identify', user_key: 'omar', revenue: null, source: 'backend' },
      { message_id: 'node-2', type: 'track', kind: 'add_to_cart', user_key: 'omar', revenue: null, source: 'backend' },
      { message_id: 'node-3', type: 'page', kind: 'page_view', user_key: 'omar', revenue: null, source: 'backend' },
      { message_id: 'node-4', type: 'track', kind: 'purchase', user_key: 'omar', revenue: null, source: 'backend' },
    ]);
  }, 300_000);
});
