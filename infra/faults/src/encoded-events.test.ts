import type { SegmentEvent } from '@telltale/traffic-generator';
import { EncodedSessions } from './encoded-events';
import { ShopperEvents } from './shopper-events';

// The pre-encoded bodies must be exactly what the object path would post: valid JSON, every field of the event,
// and the slots (messageId, visitor, timestamp, sentAt) rewritten for each batch.

interface Body {
  batch: SegmentEvent[];
  sentAt: string;
}

const parse = (body: Buffer) => JSON.parse(body.toString('utf8')) as Body;

function session(visitor: string, startMs: number, n: number): SegmentEvent[] {
  return Array.from({ length: n }, (_, i) => ({
    type: 'track',
    event: `Step ${i} «é»`,
    messageId: `ignored-${i}`,
    anonymousId: visitor,
    timestamp: new Date(startMs + i * 1_000).toISOString(),
    properties: { i, note: 'quotes " and \\ survive' },
    context: { userAgent: 'test', page: { url: 'https://shop.test/', path: '/', referrer: '', title: 'Home' }, library: { name: 't', version: '1' } },
  }));
}

const V1 = '11111111-1111-4111-8111-111111111111';
const V2 = '22222222-2222-4222-8222-222222222222';

describe('EncodedSessions', () => {
  test('a batch is the events as JSON, under consecutive messageIds, with every other field kept', () => {
    const sessions = [session(V1, 0, 3), session(V2, 50_000, 2)];
    const encoded = new EncodedSessions(sessions, 'run"1-');
    const now = Date.parse('2026-12-01T10:00:00.000Z');
    const batch = encoded.take(4, 7, now);
    const body = parse(batch.body);

    expect(body.batch.map((e) => e.messageId)).toEqual(['run"1-7', 'run"1-8', 'run"1-9', 'run"1-10']);
    expect(batch.messageIds()).toEqual(body.batch.map((e) => e.messageId));
    expect(batch.messageId(3)).toBe('run"1-10');
    for (const [i, e] of body.batch.entries()) {
      const { messageId: _a, timestamp: _b, anonymousId: _c, ...rest } = sessions.flat()[i]!;
      expect(e).toMatchObject(rest);
    }
    // Round 0: the visitor's uuid with 0 as its replay number.
    expect(body.batch[0]!.anonymousId).toBe('11111111-1111-4111-8111-111100000000');
    expect(body.batch[3]!.anonymousId).toBe('22222222-2222-4222-8222-222200000000');
    // Each session ends at `now` (the first one's last event, 2 s after its first).
    expect(body.batch.slice(0, 3).map((e) => e.timestamp)).toEqual(['2026-12-01T09:59:58.000Z', '2026-12-01T09:59:59.000Z', '2026-12-01T10:00:00.000Z']);
    expect(body.sentAt).toBe('2026-12-01T10:00:00.000Z');
  });

  test('going round again: the same sessions by new visitors, still valid JSON across the wrap', () => {
    const encoded = new EncodedSessions([session(V1, 0, 2), session(V2, 0, 1)], 'r-');
    encoded.take(2, 1);
    const batch = parse(encoded.take(3, 3).body).batch;

    expect(batch.map((e) => e.anonymousId)).toEqual([
      '22222222-2222-4222-8222-222200000000',
      '11111111-1111-4111-8111-111100000001',
      '11111111-1111-4111-8111-111100000001',
    ]);
    expect(batch.map((e) => e.messageId)).toEqual(['r-3', 'r-4', 'r-5']);
  });

  test('sentAt and a marker visitor are rewritten in place', () => {
    const encoded = new EncodedSessions([session(V1, 0, 3)], 'm-');
    const batch = encoded.take(3, 1, 1_000_000);
    batch.stampSentAt(2_000_000);
    batch.setVisitor(1, 'bench-marker-7', 1_500_000);
    const body = parse(batch.body);

    expect(body.sentAt).toBe(new Date(2_000_000).toISOString());
    expect(body.batch[1]).toMatchObject({ anonymousId: 'bench-marker-7', timestamp: new Date(1_500_000).toISOString(), messageId: 'm-2' });
    expect(body.batch[0]!.anonymousId).toBe('11111111-1111-4111-8111-111100000000');
    expect(() => batch.setVisitor(0, 'x'.repeat(37), 0)).toThrow(/longer than a uuid/);
  });

  test('refuses what it could not replay faithfully', () => {
    expect(() => new EncodedSessions([[{ ...session(V1, 0, 1)[0]!, userId: 'u1' }]], 'x-')).toThrow(/userId/);
    expect(() => new EncodedSessions([session('not-a-uuid', 0, 1)], 'x-')).toThrow(/uuid/);
    expect(() => new EncodedSessions([], 'x-')).toThrow(/no events/);
  });
});

describe('ShopperEvents.nextEncoded', () => {
  test('unique messageIds with the run prefix, shared with next(); sessions spread over visitors; nothing in the future', () => {
    const source = new ShopperEvents('run2-');
    const objects = source.next(100);
    const bodies = Array.from({ length: 300 }, () => parse(source.nextEncoded(50).body));
    const encoded = bodies.flatMap((b) => b.batch);

    // 15,000 events: three rounds of the encoded sessions.
    const ids = [...objects, ...encoded].map((e) => e.messageId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => id.startsWith('run2-'))).toBe(true);
    expect(new Set(encoded.map((e) => e.anonymousId)).size).toBeGreaterThan(1_500);
    expect(encoded.every((e) => Date.parse(e.timestamp) <= Date.now() && e.type !== undefined && e.context !== undefined)).toBe(true);
    expect(encoded.some((e) => e.event === 'Order Completed')).toBe(true);
  });
});
