import type { AddressInfo } from 'node:net';
import { SourceRegistry } from './collector-sources';
import { unitCollector, type UnitCollector } from './collector.unit-harness';

// What Segment's browser SDK (analytics-next) does, request by request: fetch its settings, then post each call as
// text/plain JSON with the write key as Basic auth to a one-letter path. The browser test runs the SDK itself.
const writeKey = 'wk-browser-1';
const authorization = `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`;

let collector: UnitCollector;
let url: string;
beforeAll(async () => {
  collector = unitCollector({ sources: new SourceRegistry([{ name: 'shop-web', writeKey, corsOrigins: null, keepIp: null, rateLimit: null }]) });
  await collector.app.listen({ port: 0, host: '127.0.0.1' });
  url = `http://127.0.0.1:${(collector.app.server.address() as AddressInfo).port}`;
});
afterAll(() => collector.app.close());

describe('Segment short paths and settings', () => {
  it('serves settings whose Segment.io integration names this collector as apiHost', async () => {
    const res = await fetch(`${url}/v1/projects/${writeKey}/settings`, { headers: { origin: 'https://shop.example' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const settings = (await res.json()) as { integrations: Record<string, { apiHost: string; protocol: string; apiKey: string }> };
    expect(settings.integrations['Segment.io']).toMatchObject({ apiKey: writeKey, apiHost: `${new URL(url).host}/v1`, protocol: 'http' });
  });

  it('answers 404 for the settings of an unknown key', async () => {
    const res = await fetch(`${url}/v1/projects/wk-nobody-1/settings`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'not found', field: 'writeKey', reason: 'unknown write key' });
  });

  it.each([
    ['/v1/p', 'page', { name: 'Home' }],
    ['/v1/t', 'track', { event: 'Product Clicked' }],
    ['/v1/i', 'identify', { traits: { plan: 'pro' } }],
    ['/v1/s', 'screen', { name: 'Cart' }],
    ['/v1/g', 'group', { groupId: 'acme' }],
    ['/v1/a', 'alias', { previousId: 'anon-0' }],
  ])('takes %s as a %s call (text/plain JSON, Basic auth)', async (path, type, fields) => {
    const messageId = `short-${type}`;
    const res = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', authorization },
      body: JSON.stringify({ type, anonymousId: 'anon-7', messageId, ...fields }),
    });
    expect(res.status).toBe(200);
    expect(collector.produced.find((e) => e.messageId === messageId)).toMatchObject({ type, anonymousId: 'anon-7', source: 'shop-web' });
  });

  it('takes /v1/b as a batch', async () => {
    const res = await fetch(`${url}/v1/b`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ writeKey, batch: [{ type: 'track', event: 'X', userId: 'u', messageId: 'short-batch' }] }),
    });
    expect(res.status).toBe(200);
    expect(collector.produced.some((e) => e.messageId === 'short-batch')).toBe(true);
  });
});
