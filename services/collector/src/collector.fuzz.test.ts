import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { unitCollector, type UnitCollector } from './collector.unit-harness';
import { DEFAULT_SCRUB_KEYS, parseScrubKeys, Pseudonymiser } from './event-privacy';

// Property-based: whatever arrives, the answer is never a 5xx and the process does not crash, and every valid
// event of a batch is acknowledged whatever its neighbours are.

let collector: UnitCollector;
let url: string;
beforeAll(async () => {
  // With every privacy rule that keeps valid events (hashing, scrubbing, IP truncation): they walk whatever arrives.
  collector = unitCollector({
    maxBatchEvents: 500,
    maxBodyBytes: 256 * 1024,
    privacy: { pseudonymiser: new Pseudonymiser('fuzz-secret-0123456789abcdef0123456789'), scrub: parseScrubKeys([...DEFAULT_SCRUB_KEYS, 'context.a.b']), ipMode: 'truncate' },
  });
  await collector.app.listen({ port: 0, host: '127.0.0.1' });
  url = `http://127.0.0.1:${(collector.app.server.address() as AddressInfo).port}`;
});
afterAll(() => collector.app.close());

async function post(path: string, body: string, contentType = 'application/json'): Promise<number> {
  const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': contentType }, body });
  await res.arrayBuffer();
  return res.status;
}

const id = fc.oneof(fc.string({ minLength: 1, maxLength: 20 }).filter((s) => s.trim().length > 0), fc.integer());
const json = fc.jsonValue({ maxDepth: 4 });
const jsonObject = fc.dictionary(fc.string({ maxLength: 10 }), json, { maxKeys: 5 });

/** Events the Segment spec allows: the collector must accept every one. */
const validEvent = fc.record(
  {
    type: fc.constantFrom('track', 'page', 'screen', 'identify', 'group', 'alias'),
    event: fc.string({ minLength: 1, maxLength: 30 }).filter((s) => s.trim().length > 0),
    userId: id,
    anonymousId: id,
    timestamp: fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.integer({ min: 0, max: 4_102_444_800_000 })),
    properties: jsonObject,
    context: jsonObject,
    traits: jsonObject,
    groupId: id,
    previousId: id,
  },
  { requiredKeys: ['type', 'event', 'userId', 'groupId', 'previousId'] },
);

/**
 * An item as JSON text, given the messageId to give it when it is an object. TRICKY: text, because the deep ones
 * would overflow the stack of JSON.stringify (and of fast-check's printing) in the test itself.
 */
type ItemText = (messageId: string) => string;
const asItemText = (value: unknown): ItemText => (messageId) =>
  JSON.stringify(typeof value === 'object' && value !== null && !Array.isArray(value) ? { ...value, messageId } : value) ?? 'null';

/** A track event whose properties nest deeper than any tracker nests them: hundreds to thousands of levels. */
const deepItem = fc.tuple(fc.integer({ min: 30, max: 5000 }), fc.boolean()).map(([depth, asArray]): ItemText => {
  const nested = asArray ? `{"a":${'['.repeat(depth)}1${']'.repeat(depth)}}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
  return (messageId) => `{"type":"track","event":"x","userId":"u","messageId":${JSON.stringify(messageId)},"properties":${nested}}`;
});

/** Anything at all where an event goes, including near misses of a valid one. */
const anyItem = fc.oneof(
  fc.anything({ maxDepth: 3 }).map(asItemText),
  json.map(asItemText),
  deepItem,
  fc.record({
    type: fc.oneof(fc.constantFrom('track', 'page', 'identify', 'group', 'alias'), json),
    event: json,
    userId: json,
    anonymousId: json,
    messageId: json,
    timestamp: fc.oneof(json, fc.double()),
    sentAt: fc.oneof(json, fc.double()),
    properties: json,
    context: json,
    traits: json,
  }, { requiredKeys: [] }).map(asItemText),
);
/** A batch body: the envelope's fields, then the items, each object among them with messageId m-<index>. */
function batchText(items: ItemText[], envelope: Record<string, unknown>): string {
  const fields = Object.entries(envelope).map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value)},`);
  return `{${fields.join('')}"batch":[${items.map((item, index) => item(`m-${index}`)).join(',')}]}`;
}

const opts = { numRuns: 150 };

describe('collector under arbitrary input', () => {
  it('never answers 5xx to an arbitrary body, as JSON or as text/plain, on every route', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string(), json.map((v) => JSON.stringify(v)), fc.tuple(fc.array(anyItem, { maxLength: 5 }), fc.record({ sentAt: json, context: json }, { requiredKeys: [] })).map(([items, envelope]) => batchText(items, envelope))),
        fc.constantFrom('/v1/batch', '/v1/track', '/v1/page', '/v1/screen', '/v1/identify', '/v1/group', '/v1/alias', '/v1/b', '/v1/t', '/v1/p', '/v1/s', '/v1/i', '/v1/g', '/v1/a'),
        fc.constantFrom('application/json', 'text/plain'),
        async (body, path, contentType) => {
          const status = await post(path, body, contentType);
          expect(status).toBeGreaterThanOrEqual(200);
          expect(status).toBeLessThan(500);
        },
      ),
      opts,
    );
  });

  it('accepts every valid event of a batch whatever its neighbours', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(validEvent.map((e) => ({ valid: true, text: asItemText(e) })), anyItem.map((text) => ({ valid: false, text }))), { minLength: 1, maxLength: 8 }), async (items) => {
        // Each item that is an object gets a messageId of its own, to find it in what the broker acknowledged.
        const before = collector.produced.length;
        const status = await post('/v1/batch', batchText(items.map((i) => i.text), {}));
        expect(status === 200 || status === 400).toBe(true);
        const acknowledged = new Set(collector.produced.slice(before).map((e) => e.messageId));
        items.forEach(({ valid }, index) => {
          if (valid) expect(acknowledged).toContain(`m-${index}`);
        });
      }),
      opts,
    );
  });
});
