import { ConfigError, parseMetricsText, sumOf } from '@telltale/runtime';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadCollectorConfig } from './collector.config';
import { readSourcesFile, SourceRegistry } from './collector-sources';
import type { AddressInfo } from 'node:net';
import { unitCollector, type UnitCollector } from './collector.unit-harness';
import { DEFAULT_SCRUB_KEYS, parseScrubKeys, Pseudonymiser } from './event-privacy';

const SECRET = 'a-test-secret-of-at-least-32-characters';
const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;
// Segment's consent object as its consent wrappers (OneTrust, custom) stamp it on every event.
const consent = (analytics: boolean) => ({ consent: { categoryPreferences: { Advertising: false, Analytics: analytics, Functional: true } } });

/** The collector on a free port (fastify's inject needs an ESM module jest cannot load here), closed after the test. */
const running: UnitCollector[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.app.close()));
});
async function serve(collector: UnitCollector) {
  await collector.app.listen({ port: 0, host: '127.0.0.1' });
  running.push(collector);
  const url = `http://127.0.0.1:${(collector.app.server.address() as AddressInfo).port}`;
  return {
    post: async (route: string, payload: unknown, headers: Record<string, string> = {}) => {
      const res = await fetch(`${url}${route}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(payload) });
      return { statusCode: res.status, json: (await res.json()) as unknown };
    },
    metrics: async () => parseMetricsText(await (await fetch(`${url}/metrics`)).text()),
  };
}

describe('collector privacy, through the server', () => {
  it('writes no raw id, trait or IP to events.raw nor to the dead letters when pseudonymisation is on', async () => {
    const p = new Pseudonymiser(SECRET);
    const collector = unitCollector({ privacy: { pseudonymiser: p, scrub: parseScrubKeys([...DEFAULT_SCRUB_KEYS]), ipMode: 'drop' } });
    const server = await serve(collector);
    const res = await server.post('/v1/batch', {
        batch: [
          { type: 'identify', anonymousId: 'anon-7', userId: 'kim@example.com', messageId: 'p-1', traits: { email: 'kim@example.com', plan: 'pro' }, context: { ip: '203.0.113.9' } },
          // Invalid (no event name): dead-lettered, with its ids hashed too.
          { type: 'track', anonymousId: 'anon-7', userId: 'kim@example.com', messageId: 'p-2', properties: { phone: '+33 6 12 34 56 78' } },
        ],
    });
    expect(res.statusCode).toBe(400);
    expect(collector.produced.map((e) => [e.messageId, e.userId, e.anonymousId])).toEqual([['p-1', p.id('kim@example.com'), p.id('anon-7')]]);
    expect(collector.deadLettered).toHaveLength(1);
    expect(JSON.parse(collector.deadLettered[0]!.payload.toString())).toEqual({ type: 'track', anonymousId: p.id('anon-7'), userId: p.id('kim@example.com'), messageId: 'p-2', properties: {} });
    const stored = JSON.stringify(collector.produced) + collector.deadLettered.map((d) => d.payload.toString()).join();
    for (const raw of ['anon-7', 'kim@', '+33', '203.0.113']) expect(stored).not.toContain(raw);
  });

  it('refuses events without the source’s consent: answered 200, counted by source, neither written nor dead-lettered', async () => {
    const sources = new SourceRegistry([
      { name: 'eu-web', writeKey: 'wk-eu-web-1', corsOrigins: null, keepIp: null, rateLimit: null, consent: { categories: ['Analytics'], mode: 'refuse' } },
      { name: 'backend', writeKey: 'wk-backend-1', corsOrigins: null, keepIp: null, rateLimit: null },
    ]);
    const collector = unitCollector({ sources });
    const server = await serve(collector);
    const post = (key: string, batch: unknown[]) => server.post('/v1/batch', { batch }, { authorization: basic(key) });
    const res = await post('wk-eu-web-1', [
      { type: 'page', anonymousId: 'a-1', messageId: 'yes', context: consent(true) },
      { type: 'page', anonymousId: 'a-2', messageId: 'no', context: consent(false) },
      { type: 'page', anonymousId: 'a-3', messageId: 'none' },
      { type: 'track', anonymousId: 'a-2', messageId: 'no-invalid', context: consent(false) },
    ]);
    expect(res.statusCode).toBe(200);
    expect(res.json).toEqual({ success: true, accepted: 1, refusedForConsent: 3 });
    // A source without a consent requirement is unaffected.
    expect((await post('wk-backend-1', [{ type: 'page', anonymousId: 'b-1', messageId: 'backend', context: consent(false) }])).json).toEqual({ success: true, accepted: 1 });
    expect(collector.produced.map((e) => e.messageId)).toEqual(['yes', 'backend']);
    expect(collector.deadLettered).toEqual([]);
    const metrics = await server.metrics();
    expect(sumOf(metrics, 'telltale_collector_events_without_consent_total', { source: 'eu-web', action: 'refused' })).toBe(3);
    expect(sumOf(metrics, 'telltale_collector_events_rejected_total') ?? 0).toBe(0);
  });

  it('strips the ids of events without consent in strip mode, and refuses the calls that only link ids', async () => {
    const collector = unitCollector({ privacy: { consent: { categories: ['Analytics'], mode: 'strip' } }, keepIp: true });
    const server = await serve(collector);
    const res = await server.post('/v1/batch', {
        batch: [
          { type: 'track', event: 'Product Added', userId: 'u-1', anonymousId: 'a-1', messageId: 's-1', context: { ...consent(false), ip: '203.0.113.9', traits: { plan: 'pro' } } },
          { type: 'identify', userId: 'u-1', anonymousId: 'a-1', messageId: 's-2', context: consent(false) },
        ],
    });
    expect(res.json).toEqual({ success: true, accepted: 1, refusedForConsent: 1 });
    const [event] = collector.produced;
    expect(event).toMatchObject({ messageId: 's-1', userId: null, anonymousId: expect.stringMatching(/^noconsent_[0-9a-f]{32}$/) });
    expect(JSON.parse(event!.context)).toEqual(consent(false));
    const metrics = await server.metrics();
    expect(sumOf(metrics, 'telltale_collector_events_without_consent_total', { action: 'stripped' })).toBe(1);
    expect(sumOf(metrics, 'telltale_collector_events_without_consent_total', { action: 'refused' })).toBe(1);
  });

  it('truncates the IP per source and keeps the global policy for the others', async () => {
    const sources = new SourceRegistry([
      { name: 'web', writeKey: 'wk-web-00001', corsOrigins: null, keepIp: null, rateLimit: null, ipMode: 'truncate' },
      { name: 'app', writeKey: 'wk-app-00001', corsOrigins: null, keepIp: null, rateLimit: null },
    ]);
    const collector = unitCollector({ sources });
    const server = await serve(collector);
    for (const key of ['wk-web-00001', 'wk-app-00001']) {
      await server.post('/v1/page', { anonymousId: 'a', context: { ip: '2001:db8:85a3::7348' } }, { authorization: basic(key) });
    }
    expect(collector.produced.map((e) => JSON.parse(e.context) as unknown)).toEqual([{ ip: '2001:db8:85a3::' }, {}]);
  });
});

describe('privacy configuration', () => {
  it('scrubs the default keys, drops the IP, and hashes nothing unless a secret is set', () => {
    const config = loadCollectorConfig({});
    expect(config.ipMode).toBe('drop');
    expect(config.COLLECTOR_PSEUDONYMISE_SECRET).toBeUndefined();
    expect(config.COLLECTOR_SCRUB_KEYS).toEqual(parseScrubKeys([...DEFAULT_SCRUB_KEYS]));
    expect(loadCollectorConfig({ COLLECTOR_SCRUB_KEYS: 'none' }).COLLECTOR_SCRUB_KEYS.anywhere.size).toBe(0);
    expect(loadCollectorConfig({ COLLECTOR_KEEP_IP: 'true' }).ipMode).toBe('keep');
    expect(loadCollectorConfig({ COLLECTOR_CONSENT_CATEGORIES: 'Analytics, C0002', COLLECTOR_CONSENT_MODE: 'strip' }).consent).toEqual({ categories: ['Analytics', 'C0002'], mode: 'strip' });
  });

  it('names the variable of a short secret without showing it', () => {
    const load = () => loadCollectorConfig({ COLLECTOR_PSEUDONYMISE_SECRET: 'hunter2' });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/COLLECTOR_PSEUDONYMISE_SECRET \(value not shown\): at least 32 characters/);
    expect(load).not.toThrow(/hunter2/);
  });

  it('refuses contradictory IP settings and unreadable scrub keys', () => {
    expect(() => loadCollectorConfig({ COLLECTOR_KEEP_IP: 'true', COLLECTOR_IP_MODE: 'truncate' })).toThrow(/COLLECTOR_KEEP_IP=true contradicts COLLECTOR_IP_MODE=truncate/);
    expect(() => loadCollectorConfig({ COLLECTOR_IP_MODE: 'hash' })).toThrow(/COLLECTOR_IP_MODE="hash"/);
    expect(() => loadCollectorConfig({ COLLECTOR_SCRUB_KEYS: 'email,page.url' })).toThrow(/COLLECTOR_SCRUB_KEYS=.*page\.url/);
  });

  it('reads a source’s ipMode and consent from the sources file', () => {
    const file = path.join(tmpdir(), `sources-privacy-${process.pid}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        sources: [
          { name: 'eu-web', writeKey: 'wk-eu-web-1', ipMode: 'truncate', consent: { categories: ['Analytics'] } },
          { name: 'backend', writeKey: 'wk-backend-1', consent: null },
          { name: 'plain', writeKey: 'wk-plain-001' },
        ],
      }),
    );
    const [eu, backend, plain] = readSourcesFile(file);
    expect(eu).toMatchObject({ ipMode: 'truncate', consent: { categories: ['Analytics'], mode: 'refuse' } });
    expect(backend!.consent).toBeNull();
    expect(plain).not.toHaveProperty('consent');
    writeFileSync(file, JSON.stringify({ sources: [{ name: 'x', writeKey: 'wk-x-000001', consent: { categories: [], mode: 'refuse' } }] }));
    expect(() => readSourcesFile(file)).toThrow(/sources\.0\.consent\.categories/);
  });
});
