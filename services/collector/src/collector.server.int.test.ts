import { gzipSync } from 'node:zlib';
import { readTopicUntil } from '@telltale/testing';
import { startTestCollector, type TestCollector } from './collector.test-harness';

describe('collector against a real broker', () => {
  let collector: TestCollector;
  let topics: TestCollector['topics'];
  let kafka: TestCollector['kafka'];
  let url: string;

  beforeAll(async () => {
    collector = await startTestCollector('collector');
    ({ topics, kafka, url } = collector);
  });

  afterAll(() => collector?.close());

  const post = (path: string, body: string) =>
    fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

  it('answers 200 after the broker acknowledged, keyed by user, values Avro', async () => {
    const res = await post(
      '/v1/batch',
      JSON.stringify({
        batch: [
          { type: 'track', event: 'Product Added', userId: 'alice', messageId: 'c-1', properties: { productId: 'p1', price: 3 } },
          { type: 'page', anonymousId: 'anon-9', messageId: 'c-2', context: { page: { path: '/' } } },
        ],
      }),
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ success: true, accepted: 2 });
    const records = await readTopicUntil(kafka, topics.rawEvents, (r) => r.length >= 2);
    const byId = Object.fromEntries(records.map((r) => [r.value.messageId, r]));
    expect(byId['c-1']).toMatchObject({ key: 'alice', value: { type: 'track', event: 'Product Added', userId: 'alice' } });
    expect(JSON.parse(byId['c-1']!.value.properties)).toEqual({ productId: 'p1', price: 3 });
    expect(byId['c-2']).toMatchObject({ key: 'anon-9', value: { type: 'page', anonymousId: 'anon-9', userId: null } });
  });

  it('keeps the good events of a batch, names the bad one, and dead-letters it', async () => {
    const res = await post(
      '/v1/batch',
      JSON.stringify({
        batch: [
          { type: 'track', event: 'Good', userId: 'bob', messageId: 'c-3' },
          { type: 'track', userId: 'bob', messageId: 'c-4' },
        ],
      }),
    );
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: 'invalid events',
      field: 'batch[1].event',
      reason: 'required for track events',
      accepted: 1,
      rejected: [{ index: 1, messageId: 'c-4', field: 'event', reason: 'required for track events' }],
    });
    const raw = await readTopicUntil(kafka, topics.rawEvents, (r) => r.some((x) => x.value.messageId === 'c-3'));
    expect(raw.some((x) => x.value.messageId === 'c-4')).toBe(false);
    const dlq = await readTopicUntil(kafka, topics.deadLetters, (r) => r.length >= 1);
    expect(dlq[0]!.value).toMatchObject({ stage: 'collector', field: 'event', reason: 'required for track events' });
    expect(JSON.parse(dlq[0]!.value.payload.toString())).toEqual({ type: 'track', userId: 'bob', messageId: 'c-4' });
  });

  it.each([
    ['invalid JSON', '{"batch": [', { error: 'invalid JSON', field: null }],
    ['no batch', '{"events": []}', { error: 'bad request', field: 'batch', reason: 'required' }],
    ['batch not an array', '{"batch": {}}', { error: 'bad request', field: 'batch', reason: 'expected an array of events' }],
    [
      'too many events',
      JSON.stringify({ batch: Array.from({ length: 11 }, () => ({ type: 'page', userId: 'u' })) }),
      { error: 'batch too large', field: 'batch', reason: 'at most 10 events per batch, got 11' },
    ],
    ['body too large', JSON.stringify({ batch: [{ type: 'page', userId: 'u', properties: { x: 'y'.repeat(70_000) } }] }), { error: 'body too large' }],
  ])('refuses %s with 4xx and a reason', async (_name, body, expected) => {
    const res = await post('/v1/batch', body);
    expect([400, 413]).toContain(res.status);
    const json = (await res.json()) as Record<string, unknown>;
    expect(json).toMatchObject(expected);
    expect(typeof json.reason).toBe('string');
  });

  it('accepts gzip-compressed batches and refuses other encodings with 415', async () => {
    const body = gzipSync(JSON.stringify({ batch: [{ type: 'page', userId: 'gus', messageId: 'c-gz' }] }));
    const gz = await fetch(`${url}/v1/batch`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body });
    expect(gz.status).toBe(200);
    expect(await gz.json()).toEqual({ success: true, accepted: 1 });
    const raw = await readTopicUntil(kafka, topics.rawEvents, (r) => r.some((x) => x.value.messageId === 'c-gz'));
    expect(raw.find((x) => x.value.messageId === 'c-gz')).toMatchObject({ key: 'gus', value: { type: 'page', userId: 'gus' } });

    const br = await fetch(`${url}/v1/batch`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'br' }, body });
    expect(br.status).toBe(415);
    expect(await br.json()).toMatchObject({ reason: 'unsupported Content-Encoding "br": send identity or gzip' });

    const bomb = gzipSync(JSON.stringify({ batch: [{ type: 'page', userId: 'u', properties: { x: 'y'.repeat(200_000) } }] }));
    expect(bomb.length).toBeLessThan(64 * 1024);
    const big = await fetch(`${url}/v1/batch`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: bomb });
    expect(big.status).toBe(413);
  });

  it('accepts single events on /v1/track and serves /healthz and /metrics', async () => {
    const res = await post('/v1/track', JSON.stringify({ event: 'Signed Up', userId: 'carol', messageId: 'c-5' }));
    expect(res.status).toBe(200);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/telltale_collector_events_accepted_total\{[^}]*type="[a-z]+"[^}]*\} [1-9]/);
  });
});
