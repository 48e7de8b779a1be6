import { readTopicUntil } from '@telltale/testing';
import { SourceRegistry } from './collector-sources';
import { startTestCollector, type TestCollector } from './collector.test-harness';

describe('collector with write keys, against a real broker', () => {
  let collector: TestCollector;
  beforeAll(async () => {
    collector = await startTestCollector('write-keys', {
      sources: new SourceRegistry([{ name: 'shop-web', writeKey: 'wk-shop-web-1', corsOrigins: null, keepIp: null, rateLimit: null }]),
    });
  });
  afterAll(() => collector?.close());

  it('puts the source’s name in every event of events.raw, and nothing from a request without a key', async () => {
    const post = (headers: Record<string, string>, messageId: string) =>
      fetch(`${collector.url}/v1/batch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ batch: [{ type: 'track', event: 'Product Clicked', userId: 'kim', messageId }] }),
      });
    expect((await post({}, 'k-refused')).status).toBe(401);
    const res = await post({ authorization: `Basic ${Buffer.from('wk-shop-web-1:').toString('base64')}` }, 'k-1');
    expect(res.status).toBe(200);
    // The refused request was answered first: had it been produced, it would be on the topic before k-1.
    const records = await readTopicUntil(collector.kafka, collector.topics.rawEvents, (r) => r.some((x) => x.value.messageId === 'k-1'));
    expect(records.map((r) => [r.value.messageId, r.value.source])).toEqual([['k-1', 'shop-web']]);
  });
});
