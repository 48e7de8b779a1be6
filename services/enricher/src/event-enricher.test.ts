import type { RawEvent } from '@telltale/contracts';
import { EventEnricher } from './event-enricher';
import { kindOf } from './event-cleaner';

const T0 = Date.parse('2024-05-04T23:30:00.000Z'); // a Saturday

function raw(overrides: Partial<RawEvent> = {}): RawEvent {
  return {
    messageId: `m-${Math.random()}`,
    type: 'track',
    event: 'Product Clicked',
    userId: 'u-1',
    anonymousId: null,
    timestamp: T0,
    sentAt: null,
    receivedAt: T0 + 50,
    properties: '{}',
    context: '{}',
    source: 'http',
    ...overrides,
  };
}

function enricher(sessionTimeoutMs = 30 * 60_000) {
  return new EventEnricher({ sessionTimeoutMs, dedupeCapacity: 1000, maxUsers: 1000, maxFutureMs: 300_000, now: () => T0 + 1000 });
}

describe('EventEnricher', () => {
  it('adds kind, session, hour of day and day of week, and extracts e-commerce fields', () => {
    const result = enricher().enrich(
      raw({
        event: 'Product Added',
        properties: JSON.stringify({ productId: 'sku-1', category: 'shoes', price: '19.90', quantity: 2 }),
        context: JSON.stringify({ page: { url: 'https://shop.test/p/1', path: '/p/1', referrer: 'https://search.test' } }),
      }),
    );
    expect(result.outcome).toBe('enriched');
    if (result.outcome !== 'enriched') return;
    expect(result.clean).toMatchObject({
      kind: 'add_to_cart',
      userKey: 'u-1',
      eventTime: T0,
      enrichedAt: T0 + 1000,
      hourOfDay: 23,
      dayOfWeek: 6,
      productId: 'sku-1',
      category: 'shoes',
      price: 19.9,
      quantity: 2,
      pageUrl: 'https://shop.test/p/1',
      pagePath: '/p/1',
      referrer: 'https://search.test',
    });
    expect(result.clean.sessionId).toMatch(/^[0-9a-f]{32}$/);
    expect(result.features?.features).toMatchObject({ session_add_to_carts: 1, session_cart_value: 39.8, is_weekend: 1 });
  });

  it('takes properties shaped like a failure ({field, reason}) as data, not as a rejection', () => {
    const result = enricher().enrich(raw({ properties: JSON.stringify({ field: 'gift wrap', reason: 'birthday' }) }));
    expect(result.outcome).toBe('enriched');
  });

  it('drops exact duplicates by messageId', () => {
    const e = enricher();
    const event = raw({ messageId: 'same' });
    expect(e.enrich(event).outcome).toBe('enriched');
    expect(e.enrich({ ...event }).outcome).toBe('duplicate');
  });

  it('keeps a session while events come within the timeout and starts a new one after it', () => {
    const e = enricher(60_000);
    const first = e.enrich(raw({ timestamp: T0 }));
    const second = e.enrich(raw({ timestamp: T0 + 59_000, receivedAt: T0 + 59_050 }));
    const third = e.enrich(raw({ timestamp: T0 + 200_000, receivedAt: T0 + 200_050, event: 'Order Completed', properties: '{"revenue":5}' }));
    const fourth = e.enrich(raw({ timestamp: T0 + 210_000, receivedAt: T0 + 210_050 }));
    const fifth = e.enrich(raw({ timestamp: T0 + 400_000, receivedAt: T0 + 400_050 }));
    if ([first, second, third, fourth, fifth].some((r) => r.outcome !== 'enriched')) throw new Error('expected enriched');
    const [s1, s2, s3, s4, s5] = [first, second, third, fourth, fifth].map((r) => (r.outcome === 'enriched' ? r : null)!);
    expect(s2!.clean.sessionId).toBe(s1!.clean.sessionId);
    expect(s2!.features!.features).toMatchObject({ session_events: 2, session_clicks: 2, session_duration_s: 59, seconds_since_prev_event: 59 });
    expect(s3!.clean.sessionId).not.toBe(s1!.clean.sessionId);
    expect(s3!.features!.features).toMatchObject({ session_events: 1, user_prior_sessions: 1, user_prior_purchases: 0 });
    expect(s4!.clean.sessionId).toBe(s3!.clean.sessionId);
    expect(s5!.features!.features).toMatchObject({ user_prior_sessions: 2, user_prior_purchases: 1 });
  });

  it('gives the same session ids when the same events are replayed into a fresh enricher', () => {
    const events = [raw({ messageId: 'a' }), raw({ messageId: 'b', timestamp: T0 + 1000 })];
    const ids = (e: EventEnricher) => events.map((ev) => {
      const r = e.enrich(ev);
      return r.outcome === 'enriched' ? r.clean.sessionId : null;
    });
    expect(ids(enricher())).toEqual(ids(enricher()));
  });

  it('corrects client clock skew with sentAt and clamps future timestamps', () => {
    const skewed = enricher().enrich(raw({ timestamp: T0 + 3_600_000, sentAt: T0 + 3_600_100, receivedAt: T0 + 100 }));
    expect(skewed.outcome === 'enriched' && skewed.clean.eventTime).toBe(T0);
    const future = enricher().enrich(raw({ timestamp: T0 + 86_400_000, receivedAt: T0 }));
    expect(future.outcome === 'enriched' && future.clean.eventTime).toBe(T0);
  });

  it.each([
    [{ userId: null, anonymousId: null }, 'userId', 'userId or anonymousId is required'],
    [{ event: null }, 'event', 'required for track events'],
    [{ properties: '[1,2]' }, 'properties', 'expected a JSON object'],
    [{ context: 'not json' }, 'context', 'expected a JSON object'],
    [{ event: 'Order Completed', properties: '{"revenue":"lots"}' }, 'properties.revenue', 'expected a number, got "lots"'],
    [{ event: 'Product Added', properties: '{}' }, 'properties.productId', 'required for add-to-cart events'],
    [{ event: 'Products Searched', properties: '{}' }, 'properties.query', 'required for search events'],
    [{ properties: '{"price":-1}' }, 'properties.price', 'must not be negative'],
    [{ timestamp: 0, receivedAt: 0 }, 'timestamp', 'before 2000-01-01: not a plausible event time'],
  ] as Array<[Partial<RawEvent>, string, string]>)('rejects %j: %s', (overrides, field, reason) => {
    expect(enricher().enrich(raw(overrides))).toEqual({ outcome: 'rejected', failure: { field, reason } });
  });

  it('emits no feature vector for identify calls', () => {
    const r = enricher().enrich(raw({ type: 'identify', event: null }));
    expect(r.outcome === 'enriched' && r.features).toBeNull();
  });
});

describe('EventEnricher batches: state changes only on commit', () => {
  const batchOf = () => [
    raw({ messageId: 'b-1', userId: 'ann', timestamp: T0 }),
    raw({ messageId: 'b-2', userId: 'bob', timestamp: T0 + 1000, event: 'Product Added', properties: '{"productId":"p","price":3,"quantity":2}' }),
    raw({ messageId: 'b-3', userId: 'ann', timestamp: T0 + 2000 }),
    raw({ messageId: 'b-1', userId: 'ann', timestamp: T0 }), // a client retry inside the same batch
    raw({ messageId: 'b-4', userId: 'ann', timestamp: T0 + 3000, event: 'Order Completed', properties: '{"revenue":"lots"}' }), // rejected
  ];

  it('gives identical clean events and features when a batch is enriched twice without commit', () => {
    const e = enricher();
    // Some committed history, so the batch builds on existing sessions.
    e.enrich(raw({ messageId: 'before', userId: 'ann', timestamp: T0 - 60_000 }));
    const first = e.enrichBatch(batchOf()).results;
    const second = e.enrichBatch(batchOf()).results;
    expect(second).toEqual(first);
    expect(first.map((r) => r.outcome)).toEqual(['enriched', 'enriched', 'enriched', 'duplicate', 'rejected']);
    const ann = first[2]!.outcome === 'enriched' ? first[2]!.features!.features : undefined;
    expect(ann).toMatchObject({ session_events: 3, session_clicks: 3, session_duration_s: 62 });
  });

  it('counts a retried batch the same as if the failed try never happened', () => {
    const retried = enricher();
    retried.enrichBatch(batchOf()); // outputs not acknowledged: dropped
    const retry = retried.enrichBatch(batchOf());
    retry.commit();
    const clean = enricher();
    const once = clean.enrichBatch(batchOf());
    once.commit();
    expect(retry.results).toEqual(once.results);
    // And what follows sees one batch's worth of state, not two.
    const next = (e: EventEnricher) => e.enrich(raw({ messageId: 'next', userId: 'ann', timestamp: T0 + 4000 }));
    expect(next(retried)).toEqual(next(clean));
  });

  it('makes a replay all duplicates once committed', () => {
    const e = enricher();
    e.enrichBatch(batchOf()).commit();
    expect(e.enrichBatch(batchOf()).results.map((r) => r.outcome)).toEqual(['duplicate', 'duplicate', 'duplicate', 'duplicate', 'rejected']);
    expect(e.trackedUsers).toBe(2);
  });

  it('leaves sessions and dedupe memory untouched until commit', () => {
    const e = enricher();
    const staged = e.enrichBatch(batchOf());
    expect(e.trackedUsers).toBe(0);
    expect(e.enrichBatch([raw({ messageId: 'b-1', userId: 'ann' })]).results[0]!.outcome).toBe('enriched');
    staged.commit();
    staged.commit(); // twice is once
    expect(e.trackedUsers).toBe(2);
    expect(e.enrichBatch([raw({ messageId: 'b-1', userId: 'ann' })]).results[0]!.outcome).toBe('duplicate');
  });

  it('refuses to commit a batch enriched before another batch was committed', () => {
    const e = enricher();
    const stale = e.enrichBatch([raw({ messageId: 'x-1' })]);
    e.enrichBatch([raw({ messageId: 'x-2' })]).commit();
    expect(() => stale.commit()).toThrow(/enrich it again/);
  });

  it('keeps every user of a batch larger than the user memory until the batch is committed', () => {
    const e = new EventEnricher({ sessionTimeoutMs: 60_000, dedupeCapacity: 1000, maxUsers: 2, maxFutureMs: 300_000, now: () => T0 });
    const events = ['u1', 'u2', 'u3', 'u1'].map((userId, i) => raw({ messageId: `m${i}`, userId, timestamp: T0 + i * 1000 }));
    const batch = e.enrichBatch(events);
    const u1 = batch.results[3]!;
    expect(u1.outcome === 'enriched' && u1.features!.features.session_events).toBe(2);
    batch.commit();
    // The least recently used (u2) is forgotten at commit.
    expect(e.trackedUsers).toBe(2);
  });
});

describe('kindOf', () => {
  it.each([
    ['page', null, 'page_view'],
    ['screen', 'Home', 'page_view'],
    ['track', 'Products Searched', 'search'],
    ['track', 'ORDER COMPLETED', 'purchase'],
    ['track', 'Newsletter Signup', 'other'],
  ] as const)('%s %s → %s', (type, event, kind) => {
    expect(kindOf(type, event)).toBe(kind);
  });
});
