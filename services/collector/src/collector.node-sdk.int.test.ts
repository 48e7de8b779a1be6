import { Analytics } from '@segment/analytics-node';
import { readTopicUntil } from '@telltale/testing';
import { SourceRegistry } from './collector-sources';
import { startTestCollector, type TestCollector } from './collector.test-harness';

// Segment's Node library, unchanged, pointed at the collector: its batches, its auth, its field names.
describe('Segment analytics-node against the collector and a real broker', () => {
  let collector: TestCollector;
  beforeAll(async () => {
    collector = await startTestCollector('node-sdk', {
      sources: new SourceRegistry([{ name: 'backend', writeKey: 'wk-backend-1', corsOrigins: null, keepIp: null, rateLimit: null }]),
    });
  });
  afterAll(() => collector?.close());

  it('delivers identify, track, page and an Order Completed without revenue to events.raw, with the source’s name', async () => {
    const errors: unknown[] = [];
    const analytics = new Analytics({ writeKey: 'wk-backend-1', host: collector.url, flushAt: 10, maxRetries: 0 });
    analytics.on('error', (err) => errors.push(err));
    analytics.identify({ userId: 'nia', traits: { plan: 'pro' }, messageId: 'sdk-1' });
    analytics.track({ userId: 'nia', event: 'Product Added', properties: { product_id: 'sku-1', price: 12.5, quantity: 2 }, messageId: 'sdk-2' });
    analytics.page({ userId: 'nia', name: 'Cart', properties: { path: '/cart' }, messageId: 'sdk-3' });
    analytics.track({ userId: 'nia', event: 'Order Completed', properties: { product_id: 'sku-1', price: 12.5 }, messageId: 'sdk-4' });
    await analytics.closeAndFlush();
    expect(errors).toEqual([]);

    const records = await readTopicUntil(collector.kafka, collector.topics.rawEvents, (r) => r.length >= 4);
    const byId = Object.fromEntries(records.map((r) => [r.value.messageId, r.value]));
    expect(Object.keys(byId).sort()).toEqual(['sdk-1', 'sdk-2', 'sdk-3', 'sdk-4']);
    expect(byId['sdk-1']).toMatchObject({ type: 'identify', userId: 'nia', source: 'backend' });
    expect(JSON.parse(byId['sdk-1']!.properties)).toEqual({ plan: 'pro' });
    expect(byId['sdk-3']).toMatchObject({ type: 'page', event: 'Cart', source: 'backend' });
    expect(byId['sdk-4']).toMatchObject({ type: 'track', event: 'Order Completed', source: 'backend' });
    expect(JSON.parse(byId['sdk-4']!.properties)).toEqual({ product_id: 'sku-1', price: 12.5 });
  });
});
