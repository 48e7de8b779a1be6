import { partitionKeyOf, plainValidEvent, segmentEvent, validateEvents } from './segment-event';

const receivedAt = Date.parse('2024-05-01T12:00:00.000Z');

describe('validateEvents', () => {
  it('turns Segment events into raw events, applying batch-level sentAt and context', () => {
    const { events, rejected } = validateEvents(
      [
        {
          type: 'track',
          event: 'Product Added',
          userId: 42,
          messageId: 'm-1',
          timestamp: '2024-05-01T11:59:59.000Z',
          properties: { productId: 'p1', price: 9.5 },
          context: { userAgent: 'UA', ip: '203.0.113.9' },
        },
        { type: 'page', name: 'Home', anonymousId: 'anon-1', context: { page: { path: '/' } } },
      ],
      { receivedAt, keepIp: false, source: 'web', batchSentAt: receivedAt - 100, batchContext: { library: { name: 'analytics.js' } } },
    );
    expect(rejected).toEqual([]);
    expect(events[0]).toEqual({
      messageId: 'm-1',
      type: 'track',
      event: 'Product Added',
      userId: '42',
      anonymousId: null,
      timestamp: receivedAt - 1000,
      sentAt: receivedAt - 100,
      receivedAt,
      properties: JSON.stringify({ productId: 'p1', price: 9.5 }),
      context: JSON.stringify({ library: { name: 'analytics.js' }, userAgent: 'UA' }),
      source: 'web',
    });
    expect(events[1]).toMatchObject({ type: 'page', event: 'Home', anonymousId: 'anon-1', timestamp: receivedAt });
    expect(events[1]!.messageId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('keeps the IP address only when configured to', () => {
    const { events } = validateEvents([{ type: 'page', anonymousId: 'a', context: { ip: '203.0.113.9' } }], {
      receivedAt,
      keepIp: true,
      source: 'web',
    });
    expect(JSON.parse(events[0]!.context)).toEqual({ ip: '203.0.113.9' });
  });

  it('rejects each bad event with its index, field and reason, keeping the good ones', () => {
    const { events, rejected } = validateEvents(
      [
        { type: 'track', event: 'Ok', userId: 'u' },
        { type: 'track', userId: 'u', messageId: 'no-name' },
        { type: 'track', event: 'X' },
        { type: 'teleport', userId: 'u' },
        { type: 'page', userId: 'u', timestamp: 'last tuesday' },
        { type: 'page', userId: 'u', properties: 'not an object' },
        'not even an object',
      ],
      { receivedAt, keepIp: false, source: 'web' },
    );
    expect(events).toHaveLength(1);
    expect(rejected).toEqual([
      { index: 1, messageId: 'no-name', field: 'event', reason: 'required for track events' },
      { index: 2, messageId: null, field: 'userId', reason: 'userId or anonymousId is required' },
      { index: 3, messageId: null, field: 'type', reason: 'expected one of track, page, screen, identify, group, alias' },
      { index: 4, messageId: null, field: 'timestamp', reason: 'expected an ISO 8601 date-time or epoch milliseconds' },
      { index: 5, messageId: null, field: 'properties', reason: 'Expected object, received string' },
      { index: 6, messageId: null, field: '(event)', reason: 'Expected object, received string' },
    ]);
  });

  it('merges identify traits into properties', () => {
    const { events } = validateEvents([{ type: 'identify', userId: 'u', traits: { plan: 'pro' } }], { receivedAt, keepIp: false, source: 'web' });
    expect(JSON.parse(events[0]!.properties)).toEqual({ plan: 'pro' });
  });
});

describe('group and alias calls', () => {
  const opts = { receivedAt: Date.parse('2026-11-29T10:00:00Z'), keepIp: false, source: 'web' };

  it('keep their id links in properties: groupId (with the traits) and previousId', () => {
    const { events, rejected } = validateEvents(
      [
        { type: 'group', userId: 'u-1', groupId: 'acme', traits: { plan: 'team' } },
        { type: 'alias', userId: 'u-1', previousId: 'anon-1' },
      ],
      opts,
    );
    expect(rejected).toEqual([]);
    expect(events.map((e) => [e.type, JSON.parse(e.properties)])).toEqual([
      ['group', { plan: 'team', groupId: 'acme' }],
      ['alias', { previousId: 'anon-1' }],
    ]);
  });

  it('refuses a group without groupId and an alias without previousId, naming the field', () => {
    const { rejected } = validateEvents([{ type: 'group', userId: 'u' }, { type: 'alias', userId: 'u' }], opts);
    expect(rejected.map((r) => [r.field, r.reason])).toEqual([
      ['groupId', 'required for group calls'],
      ['previousId', 'required for alias calls'],
    ]);
  });
});

describe('partitionKeyOf', () => {
  const opts = { receivedAt, keepIp: false, source: 'web' };
  const keyOf = (event: Record<string, unknown>) => {
    const { events, rejected } = validateEvents([event], opts);
    expect(rejected).toEqual([]);
    return partitionKeyOf(events[0]!);
  };

  it("keys a visitor's anonymous and signed-in events alike, by anonymousId, so the enricher sees them in order", () => {
    expect(keyOf({ type: 'page', anonymousId: 'anon-1' })).toBe('anon-1');
    expect(keyOf({ type: 'identify', anonymousId: 'anon-1', userId: 'u-1' })).toBe('anon-1');
    expect(keyOf({ type: 'track', event: 'Clicked', anonymousId: 'anon-1', userId: 'u-1' })).toBe('anon-1');
  });

  it('keys by userId without an anonymousId, and an alias call by the id it links', () => {
    expect(keyOf({ type: 'track', event: 'Clicked', userId: 'u-1' })).toBe('u-1');
    expect(keyOf({ type: 'alias', previousId: 'anon-7', userId: 'u-1', anonymousId: 'anon-8' })).toBe('anon-7');
  });
});

describe('plainValidEvent (the fast path)', () => {
  const long = 'x'.repeat(300);
  const deep = (levels: number): Record<string, unknown> => (levels === 0 ? { leaf: 1 } : { a: deep(levels - 1) });
  // Per field: values zod accepts (or absent), then values it refuses.
  const fields: Record<string, [unknown[], unknown[]]> = {
    type: [['track', 'page', 'identify', 'group', 'alias', 'screen'], ['teleport', 7, undefined]],
    event: [['Product Added', '  padded  ', undefined], ['', '   ', long, 12, null]],
    name: [['Home', ' Home ', undefined], ['', 3]],
    userId: [['u-1', ' u-2 ', 42, 1.5, null, undefined], [Infinity, '', { id: 1 }]],
    anonymousId: [['anon-1', null, undefined], ['', NaN]],
    groupId: [['acme', undefined], [null, '']],
    previousId: [['anon-0', 3, undefined], [null]],
    messageId: [['m-1', ' m-2 ', undefined], ['', long, 5]],
    timestamp: [['2024-05-01T11:59:59.000Z', 1_714_557_600_000, 1.7, undefined], ['last tuesday', 1e16, -1e16, NaN, 'x'.repeat(65), null]],
    sentAt: [['2024-05-01T11:59:59.000Z', 0, undefined], ['soon']],
    properties: [[{ price: 9.5, tags: ['a', { b: [1, 2] }] }, {}, deep(31), undefined], [[], 'text', null, { s: 'y'.repeat(40_000) }, deep(32)]],
    traits: [[{ plan: 'pro' }, undefined], [[1]]],
    context: [[{ ip: '203.0.113.9', page: { path: '/' } }, undefined], [{ ['k'.repeat(40_000)]: 1 }, 5]],
  };

  it('accepts only what zod accepts, with exactly zod’s output', () => {
    let seed = 7;
    const next = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    let fast = 0;
    for (let i = 0; i < 5_000; i++) {
      const item: Record<string, unknown> = {};
      for (const [key, [valid, invalid]] of Object.entries(fields)) {
        const values = next() < 0.93 ? valid : invalid;
        const v = values[Math.floor(next() * values.length)];
        if (v !== undefined) item[key] = v;
      }
      const zod = segmentEvent.safeParse(item);
      const plain = plainValidEvent(item);
      // Every valid event of this corpus is one the fast path is meant for.
      if (zod.success) expect({ item, plain }).toEqual({ item, plain: zod.data });
      if (plain !== undefined) {
        fast += 1;
        expect({ item, result: zod.success ? zod.data : zod.error.issues[0] }).toEqual({ item, result: plain });
      }
    }
    // The corpus holds enough valid events for the comparison to mean something.
    expect(fast).toBeGreaterThan(500);
  });

  it('leaves a non-object, and an object with an own __proto__ key, to zod', () => {
    expect(plainValidEvent('event')).toBeUndefined();
    expect(plainValidEvent([{ type: 'page', userId: 'u' }])).toBeUndefined();
    expect(plainValidEvent({ type: 'page', userId: 'u', properties: JSON.parse('{"__proto__": {"x": 1}}') })).toBeUndefined();
  });
});
