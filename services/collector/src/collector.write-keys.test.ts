import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseWriteKeys, readSourcesFile, SourceRegistry, type Source } from './collector-sources';
import { RateLimiter } from './rate-limiter';
import { unitCollector, type UnitCollector } from './collector.unit-harness';

const web: Source = { name: 'web', writeKey: 'wk-web-0001', corsOrigins: ['https://shop.example'], keepIp: null, rateLimit: null };
const ios: Source = { name: 'ios', writeKey: 'wk-ios-0001', corsOrigins: null, keepIp: true, rateLimit: null };
// A bucket of 3 that refills one token in 1000 s: however slow the machine, nothing refills during the test.
const limited: Source = { name: 'limited', writeKey: 'wk-limited-1', corsOrigins: null, keepIp: null, rateLimit: { eventsPerSecond: 0.001, burst: 3 } };
const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;
const page = (messageId: string) => ({ type: 'page', userId: 'u-1', messageId, context: { ip: '203.0.113.9' } });

describe('write keys', () => {
  let collector: UnitCollector;
  let url: string;
  beforeAll(async () => {
    collector = unitCollector({ sources: new SourceRegistry([web, ios, limited]), rateLimit: { eventsPerSecond: 1000, burst: 1000 } });
    await collector.app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(collector.app.server.address() as AddressInfo).port}`;
  });
  afterAll(() => collector.app.close());

  const post = async (route: string, body: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${url}${route}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
  };

  it('refuses a request without a key with 401 and the error body', async () => {
    const res = await post('/v1/batch', { batch: [page('no-key')] });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: 'unauthorized', field: 'writeKey', reason: expect.stringContaining('HTTP Basic') });
  });

  it('refuses an unknown key, as Basic auth or in the body', async () => {
    const res = await post('/v1/batch', { batch: [page('bad')] }, { authorization: basic('wk-nobody-1') });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: 'unauthorized', field: 'writeKey', reason: 'unknown write key' });
    expect((await post('/v1/track', { event: 'x', userId: 'u', writeKey: 'wk-nobody-1' })).status).toBe(401);
    expect(collector.produced).toEqual([]);
  });

  it('takes the key as Basic auth (as Segment libraries send it) and names the source in every event', async () => {
    const res = await post('/v1/batch', { batch: [page('basic-1'), page('basic-2')] }, { authorization: basic(web.writeKey) });
    expect(res.status).toBe(200);
    expect(collector.produced.filter((e) => e.messageId.startsWith('basic-')).map((e) => e.source)).toEqual(['web', 'web']);
  });

  it('takes the key from a writeKey field of the body, on the single-event routes too', async () => {
    expect((await post('/v1/page', { ...page('field-1'), writeKey: ios.writeKey })).status).toBe(200);
    expect(collector.produced.find((e) => e.messageId === 'field-1')!.source).toBe('ios');
  });

  it('applies the source’s IP policy', async () => {
    await post('/v1/page', { ...page('ip-ios'), writeKey: ios.writeKey });
    await post('/v1/page', page('ip-web'), { authorization: basic(web.writeKey) });
    expect(JSON.parse(collector.produced.find((e) => e.messageId === 'ip-ios')!.context)).toEqual({ ip: '203.0.113.9' });
    expect(JSON.parse(collector.produced.find((e) => e.messageId === 'ip-web')!.context)).toEqual({});
  });

  it('refuses a browser origin the source does not list with 403', async () => {
    const res = await post('/v1/batch', { batch: [page('o-1')] }, { authorization: basic(web.writeKey), origin: 'https://evil.example' });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ error: 'forbidden', field: 'Origin' });
    expect((await post('/v1/batch', { batch: [page('o-2')] }, { authorization: basic(web.writeKey), origin: 'https://shop.example' })).status).toBe(200);
  });

  it('answers 429 with Retry-After over the key’s rate limit, counted in /metrics; other keys unaffected', async () => {
    expect((await post('/v1/batch', { batch: [page('r-1'), page('r-2'), page('r-3')], writeKey: limited.writeKey })).status).toBe(200);
    const refused = await post('/v1/batch', { batch: [page('r-4')], writeKey: limited.writeKey });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(refused.body).toMatchObject({ error: 'rate limited', field: 'writeKey' });
    expect(collector.produced.some((e) => e.messageId === 'r-4')).toBe(false);
    expect((await post('/v1/batch', { batch: [page('r-web')] }, { authorization: basic(web.writeKey) })).status).toBe(200);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/telltale_collector_rate_limited_total\{source="limited"[^}]*\} 1/);
  });
});

describe('open development mode (no keys configured)', () => {
  it('accepts requests without a key, source "default"', async () => {
    const collector = unitCollector();
    await collector.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = collector.app.server.address() as AddressInfo;
    const res = await fetch(`http://127.0.0.1:${port}/v1/batch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ batch: [page('open')] }) });
    expect(res.status).toBe(200);
    expect(collector.produced[0]!.source).toBe('default');
    await collector.app.close();
  });
});

describe('source configuration', () => {
  it('parses COLLECTOR_WRITE_KEYS pairs', () => {
    expect(parseWriteKeys(' wk-aaaa-1111:web , wk-bbbb-2222:ios')).toEqual([
      { name: 'web', writeKey: 'wk-aaaa-1111', corsOrigins: null, keepIp: null, rateLimit: null },
      { name: 'ios', writeKey: 'wk-bbbb-2222', corsOrigins: null, keepIp: null, rateLimit: null },
    ]);
  });

  it.each(['nokey', 'short:web', 'wk-aaaa-1111:', 'wk-aaaa-1111:bad name'])('refuses %j without printing the key', (text) => {
    expect(() => parseWriteKeys(text)).toThrow(/COLLECTOR_WRITE_KEYS/);
    try {
      parseWriteKeys(text);
    } catch (err) {
      if (text.includes(':')) expect((err as Error).message).not.toContain(text.split(':')[0]);
    }
  });

  it('reads a sources file with per-source settings, and names the field it refuses', () => {
    const file = path.join(tmpdir(), `sources-${process.pid}.json`);
    writeFileSync(file, JSON.stringify({ sources: [{ name: 'web', writeKey: 'wk-web-0001', corsOrigins: ['https://shop.example'], rateLimit: { eventsPerSecond: 5, burst: 10 } }] }));
    expect(readSourcesFile(file)).toEqual([{ name: 'web', writeKey: 'wk-web-0001', corsOrigins: ['https://shop.example'], keepIp: null, rateLimit: { eventsPerSecond: 5, burst: 10 } }]);
    writeFileSync(file, JSON.stringify({ sources: [{ name: 'web', writeKey: 'wk-web-0001', corsOrigins: ['shop'] }] }));
    expect(() => readSourcesFile(file)).toThrow(/sources\.0\.corsOrigins\.0/);
  });

  it('refuses a key configured twice', () => {
    expect(() => new SourceRegistry([web, { ...ios, writeKey: web.writeKey }])).toThrow(/configured twice/);
  });
});

describe('RateLimiter', () => {
  it('allows the burst, then the sustained rate, and says when to retry', () => {
    let now = 0;
    const limiter = new RateLimiter(() => now);
    const limit = { eventsPerSecond: 10, burst: 20 };
    expect(limiter.take('k', 20, limit)).toBeNull();
    expect(limiter.take('k', 5, limit)).toBe(1);
    now = 500; // 5 tokens back
    expect(limiter.take('k', 5, limit)).toBeNull();
    expect(limiter.take('k', 15, limit)).toBe(2);
    expect(limiter.take('other', 20, limit)).toBeNull();
  });

  it('lets a batch larger than the burst through when the bucket is full', () => {
    const limiter = new RateLimiter(() => 0);
    expect(limiter.take('k', 50, { eventsPerSecond: 10, burst: 20 })).toBeNull();
    expect(limiter.take('k', 1, { eventsPerSecond: 10, burst: 20 })).toBe(1);
  });
});
