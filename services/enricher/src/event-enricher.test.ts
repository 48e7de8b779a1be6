import path from 'node:path';
import { createAvroCodec, SCHEMAS_DIR, topicsFor, type RawEvent, type VisitorState } from '@telltale/contracts';
import { EventEnricher, type EnricherOptions, type EnrichmentResult } from './event-enricher';
import { kindOf } from './event-cleaner';
import { PartitionState, STATE_BYTES, visitorBytes } from './partition-state';

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

const OPTIONS: EnricherOptions = {
  sessionTimeoutMs: 30 * 60_000,
  latenessMs: 5 * 60_000,
  dedupeWindowMs: 24 * 3_600_000,
  dedupeCapacity: 1000,
  maxVisitors: 1000,
  maxFutureMs: 300_000,
  now: () => T0 + 1000,
};

function enricher(sessionTimeoutMs = 30 * 60_000, overrides: Partial<EnricherOptions> = {}) {
  return new EventEnricher({ ...OPTIONS, sessionTimeoutMs, ...overrides });
}

function enriched(result: EnrichmentResult): Extract<EnrichmentResult, { outcome: 'enriched' }> {
  if (result.outcome !== 'enriched') throw new Error(`expected enriched, got ${JSON.stringify(result)}`);
  return result;
}

/** A new enricher whose state is the changelog `from` wrote so far, replayed in order (what a restore does). */
function restoredFrom(from: EventEnricher, overrides: Partial<EnricherOptions> = {}, changelog: Array<{ key: string; value: unknown }> = []): EventEnricher {
  changelog.push(...from.takeChanges());
  const state = new PartitionState({ ...OPTIONS, ...overrides });
  for (const c of changelog) state.restore(c.key, c.value as never);
  return new EventEnricher({ ...OPTIONS, ...overrides }, state);
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
    expect(enricher().enrich(raw(overrides))).toEqual({ outcome: 'rejected', cause: 'invalid', failure: { field, reason } });
  });

  it('emits no feature vector for identify calls', () => {
    const r = enricher().enrich(raw({ type: 'identify', event: null }));
    expect(r.outcome === 'enriched' && r.features).toBeNull();
  });
});

describe('EventEnricher state through the changelog', () => {
  const visit = () => [
    raw({ messageId: 'v-1', userId: 'ann', timestamp: T0 }),
    raw({ messageId: 'v-2', userId: 'bob', timestamp: T0 + 1000, event: 'Product Added', properties: '{"productId":"p","price":3,"quantity":2}' }),
    raw({ messageId: 'v-3', userId: 'ann', timestamp: T0 + 2000 }),
    raw({ messageId: 'v-4', userId: 'ann', timestamp: T0 + 3000, event: 'Order Completed', properties: '{"revenue":12}' }),
    raw({ messageId: 'v-5', userId: 'bob', timestamp: T0 + 4000 }),
  ];
  const comparable = (r: EnrichmentResult) => (r.outcome === 'enriched' ? { session: r.clean.sessionId, features: r.features?.features ?? null } : r.outcome);

  it('continues a visit after a restore exactly as without one: same session ids and counters', () => {
    const events = visit();
    const uninterrupted = enricher();
    const expected = events.map((e) => comparable(uninterrupted.enrich(e)));

    const first = enricher();
    const before = events.slice(0, 3).map((e) => comparable(first.enrich(e)));
    const second = restoredFrom(first);
    const after = events.slice(3).map((e) => comparable(second.enrich(e)));
    expect([...before, ...after]).toEqual(expected);
  });

  it('remembers messageIds across a restore: a redelivered event is a duplicate', () => {
    const first = enricher();
    first.enrich(raw({ messageId: 'once' }));
    expect(restoredFrom(first).enrich(raw({ messageId: 'once' }))).toEqual({ outcome: 'duplicate' });
  });

  it('forgets messageIds once the window has passed (collector time): the head moves, the passed block is tombstoned', () => {
    const e = enricher(30 * 60_000, { dedupeWindowMs: 60_000 });
    e.enrich(raw({ messageId: 'old', receivedAt: T0 }));
    expect(e.enrich(raw({ messageId: 'old', receivedAt: T0 + 30_000 })).outcome).toBe('duplicate');
    expect(e.takeChanges().filter((c) => c.key.startsWith('m')).map((c) => c.key)).toEqual(['mb:0', 'mw']);
    e.enrich(raw({ messageId: 'later', timestamp: T0 + 61_000, receivedAt: T0 + 61_000 }));
    const changes = e.takeChanges();
    expect(changes).toEqual(expect.arrayContaining([{ key: 'mb:0', value: null }]));
    expect(changes.find((c) => c.key === 'mw')?.value?.window).toEqual({ headSeq: 1, streamTime: T0 + 61_000 });
    expect(e.rememberedMessages).toBe(1);
    expect(e.enrich(raw({ messageId: 'old', timestamp: T0 + 62_000, receivedAt: T0 + 62_000 })).outcome).toBe('enriched');
  });

  it('keeps at most maxVisitors per partition, forgetting the least recently active (tombstoned, counted)', () => {
    const e = enricher(30 * 60_000, { maxVisitors: 2 });
    e.enrich(raw({ userId: 'a' }));
    e.enrich(raw({ userId: 'b' }));
    e.enrich(raw({ userId: 'a', timestamp: T0 + 1 }));
    e.enrich(raw({ userId: 'c' }));
    expect(e.trackedVisitors).toBe(2);
    expect(e.takeEvictions()).toEqual({ visitors: 1, messages: 0 });
    const changes = e.takeChanges();
    expect(changes.find((c) => c.key === 'v:b')).toEqual({ key: 'v:b', value: null });
    // The restored state is the same set, in the same activity order: d evicts a, the least recent.
    const restored = new PartitionState({ ...OPTIONS, maxVisitors: 2 });
    for (const c of changes) restored.restore(c.key, c.value);
    expect([restored.visitor('a'), restored.visitor('b'), restored.visitor('c')].map(Boolean)).toEqual([true, false, true]);
  });

  it('keeps its state within maxBytes by the measured entry costs, forgetting the oldest entries first; a restore counts the same bytes', () => {
    // Room for about three visitors with their messageIds.
    const perVisitor = visitorBytes('x'.repeat(36), { recentEvents: [{}] } as unknown as VisitorState) + STATE_BYTES.message;
    const maxBytes = Math.floor(3.5 * perVisitor);
    const e = enricher(30 * 60_000, { maxBytes });
    const state = (e as unknown as { state: PartitionState }).state;
    const changelog: Array<{ key: string; value: unknown }> = [];
    for (let i = 0; i < 10; i++) {
      const id = String(i).padStart(36, '0');
      e.enrich(raw({ messageId: `m${id.slice(1)}`, userId: `u${id.slice(1)}`, timestamp: T0 + i * 1000, receivedAt: T0 + i * 1000 }));
      expect(state.estimatedBytes).toBeLessThanOrEqual(maxBytes);
      changelog.push(...e.takeChanges());
    }
    const evicted = e.takeEvictions();
    expect(evicted.visitors).toBeGreaterThan(0);
    expect(evicted.messages).toBeGreaterThan(0);
    // The newest visitor is kept, the oldest forgotten (tombstoned).
    expect(e.trackedVisitors).toBeLessThan(10);
    expect(state.visitor(`u${'9'.padStart(36, '0').slice(1)}`)).toBeDefined();
    expect(state.visitor(`u${'0'.padStart(36, '0').slice(1)}`)).toBeUndefined();
    const restored = new PartitionState({ ...OPTIONS, maxBytes });
    for (const c of changelog) restored.restore(c.key, c.value as never);
    expect(restored.estimatedBytes).toBe(state.estimatedBytes);
    expect(restored.visitorCount).toBe(state.visitorCount);
    expect(restored.messageCount).toBe(state.messageCount);
  });

  it('gives the same outputs however the events are cut into batches (state decisions are per event)', () => {
    const events = [...visit(), raw({ messageId: 'v-1', userId: 'ann', timestamp: T0 })];
    const whole = enricher(30 * 60_000, { maxVisitors: 1 });
    const expected = events.map((e) => comparable(whole.enrich(e)));
    const changelog: Array<{ key: string; value: unknown }> = [];
    let current = enricher(30 * 60_000, { maxVisitors: 1 });
    const got = events.map((e) => {
      const r = comparable(current.enrich(e));
      current = restoredFrom(current, { maxVisitors: 1 }, changelog);
      return r;
    });
    expect(got).toEqual(expected);
  });
});

describe('identity stitching', () => {
  const anon = (overrides: Partial<RawEvent>) => raw({ userId: null, anonymousId: 'anon-1', ...overrides });

  it('keeps one session across a login, carries the user on later anonymous events, and emits the link once', () => {
    const e = enricher();
    const before = enriched(e.enrich(anon({ messageId: 'a-1', type: 'page', event: null })));
    const login = enriched(e.enrich(anon({ messageId: 'a-2', type: 'identify', event: null, userId: 'u-9', timestamp: T0 + 1000 })));
    const after = enriched(e.enrich(anon({ messageId: 'a-3', timestamp: T0 + 2000 })));
    const again = enriched(e.enrich(anon({ messageId: 'a-4', type: 'identify', event: null, userId: 'u-9', timestamp: T0 + 3000 })));

    expect(before.clean).toMatchObject({ userKey: 'anon-1', userId: null });
    expect(login.link).toEqual({ anonymousId: 'anon-1', userId: 'u-9', firstLinked: T0 + 1000, source: 'identify', messageId: 'a-2' });
    expect(after.clean).toMatchObject({ userKey: 'u-9', userId: 'u-9', anonymousId: 'anon-1' });
    expect(after.features).toMatchObject({ userKey: 'u-9', sessionId: before.clean.sessionId, features: { session_events: 3 } });
    expect(new Set([before, login, after].map((r) => r.clean.sessionId)).size).toBe(1);
    expect(again.link).toBeNull();
  });

  it('refuses to link a linked anonymous id to a second user, naming both', () => {
    const e = enricher();
    enriched(e.enrich(anon({ type: 'identify', event: null, userId: 'u-1' })));
    const second = e.enrich(anon({ messageId: 'second', type: 'identify', event: null, userId: 'u-2', timestamp: T0 + 1000 }));
    expect(second).toEqual({
      outcome: 'rejected',
      cause: 'link_refused',
      failure: { field: 'anonymousId', reason: 'identify refused: anonymous id anon-1 is already linked to user u-1, not u-2' },
    });
    // The refusal survives a restore, and the refused call redelivered is a duplicate, not a second dead letter.
    const restored = restoredFrom(e);
    expect(restored.enrich(anon({ messageId: 'second', type: 'identify', event: null, userId: 'u-2', timestamp: T0 + 1000 })).outcome).toBe('duplicate');
    expect(restored.enrich(anon({ type: 'alias', event: null, userId: 'u-3', properties: '{"previousId":"anon-1"}', timestamp: T0 + 2000 }))).toMatchObject({
      outcome: 'rejected',
      cause: 'link_refused',
      failure: { field: 'previousId' },
    });
    expect(enriched(restored.enrich(anon({ timestamp: T0 + 3000 }))).clean.userId).toBe('u-1');
  });

  it('links with alias: previousId to userId', () => {
    const e = enricher();
    enriched(e.enrich(anon({ messageId: 'p-1' })));
    const alias = enriched(e.enrich(raw({ messageId: 'al', type: 'alias', event: null, userId: 'u-5', anonymousId: null, properties: '{"previousId":"anon-1"}', timestamp: T0 + 1000 })));
    expect(alias.link).toMatchObject({ anonymousId: 'anon-1', userId: 'u-5', source: 'alias' });
    expect(enriched(e.enrich(anon({ timestamp: T0 + 2000 }))).clean.userKey).toBe('u-5');
  });
});

describe('late events', () => {
  it('joins the session within the lateness bound with the vector as of its own time, and counts for later vectors', () => {
    const e = enricher();
    const first = enriched(e.enrich(raw({ timestamp: T0 })));
    enriched(e.enrich(raw({ timestamp: T0 + 4 * 60_000 })));
    const late = enriched(e.enrich(raw({ timestamp: T0 + 60_000, event: 'Products Searched', properties: '{"query":"q"}' })));
    expect(late.late).toBe(true);
    expect(late.asOf).toBe('exact');
    expect(late.clean.sessionId).toBe(first.clean.sessionId);
    // The click at T0 and itself; not the click at T0 + 4 min.
    expect(late.features).toMatchObject({ sessionId: first.clean.sessionId, eventTime: T0 + 60_000, eventKind: 'search' });
    expect(late.features?.features).toMatchObject({ session_events: 2, session_clicks: 1, session_searches: 1, session_duration_s: 60, seconds_since_prev_event: 60 });
    const next = enriched(e.enrich(raw({ timestamp: T0 + 5 * 60_000 })));
    expect(next.late).toBe(false);
    expect(next.asOf).toBe('latest');
    expect(next.features?.features).toMatchObject({ session_events: 4, session_searches: 1, session_duration_s: 300, seconds_since_prev_event: 60 });
  });

  /**
   * The property: an event's vector equals the vector an in-order run gives it over the events that had arrived by
   * then (itself included), for every feature. So an event whose earlier events all arrived before it gets exactly
   * the vector of an in-order run of the whole visit; one that arrives before an earlier event cannot count it.
   * Holds while fewer than RECENT_EVENTS_CAP events are within the lateness bound (session-tracker.test.ts has the
   * cap), and with the landing the same in both orders (the landing is the first event with one to ARRIVE).
   */
  it.each([1, 2, 3, 4, 5])('gives each event of a visit shuffled within the bound the vector of an in-order run of what had arrived (seed %i)', (seed) => {
    const random = mulberry32(seed);
    const visit = visitOf(40, random);
    // Arrival order: event time plus a random delay of up to 2 min, so no event arrives more than 2 min late.
    const arrivals = visit.map((event) => ({ event, arrivesAt: event.timestamp + Math.floor(random() * 120_000) })).sort((a, b) => a.arrivesAt - b.arrivesAt).map((a) => a.event);
    expect(arrivals).not.toEqual(visit);

    let shuffled = enricher();
    const arrived: RawEvent[] = [];
    const fullRun = vectorsInOrder(visit);
    let late = 0;
    let sawEverythingBefore = 0;
    for (const [i, event] of arrivals.entries()) {
      // Halfway, the state goes through the changelog's Avro, as a restart would.
      if (i === arrivals.length / 2) shuffled = restoredThroughAvro(shuffled);
      const result = enriched(shuffled.enrich(event));
      arrived.push(event);
      if (result.late) late += 1;
      expect(result.asOf).toBe(result.late ? 'exact' : 'latest');
      expect(result.features?.features).toEqual(vectorsInOrder(arrived).get(event.messageId));
      if (visit.every((v) => v.timestamp >= event.timestamp || arrived.includes(v))) {
        sawEverythingBefore += 1;
        expect(result.features?.features).toEqual(fullRun.get(event.messageId));
      }
    }
    expect(late).toBeGreaterThan(3);
    expect(sawEverythingBefore).toBeGreaterThan(3);
  });

  it('keeps as many of the latest events as recentEventsCap (ENRICHER_LATE_EVENTS_KEPT) says', () => {
    const e = enricher(undefined, { recentEventsCap: 2 });
    for (const s of [0, 10, 20, 30]) enriched(e.enrich(raw({ timestamp: T0 + s * 1000 })));
    // T0 + 10 s was dropped for the cap: an event after it is exact, one before it a lower bound.
    expect(enriched(e.enrich(raw({ timestamp: T0 + 15_000 }))).features?.features).toMatchObject({ session_events: 3, seconds_since_prev_event: 5 });
    const older = enriched(e.enrich(raw({ timestamp: T0 + 5000 })));
    expect(older.asOf).toBe('lower_bound');
    expect(older.features?.features).toMatchObject({ session_events: 1, session_clicks: 1, session_duration_s: 5 });
  });

  it('restores a state written before sessions kept their events: in-order events go on exactly, a late one older than the restore counts only itself', () => {
    const e = enricher();
    enriched(e.enrich(raw({ timestamp: T0, type: 'page', event: null })));
    enriched(e.enrich(raw({ timestamp: T0 + 30_000 })));
    enriched(e.enrich(raw({ timestamp: T0 + 60_000 })));
    // The changelog as the previous schema version (history/enricher-state.v2.avsc) wrote it.
    const oldCodec = createAvroCodec<{ visitor: Omit<VisitorState, 'recentEvents' | 'droppedUpTo'> | null; seenReceivedAt: number | null }>('enricher-state.v2.avsc', { dir: path.join(SCHEMAS_DIR, 'history') });
    const state = new PartitionState(OPTIONS);
    for (const { key, value } of e.takeChanges()) {
      const old = value && { ...value, visitor: value.visitor && omit(value.visitor, 'recentEvents', 'droppedUpTo') };
      state.restore(key, old && topicsFor().enricherState.codec.decode(oldCodec.encode(old)));
    }
    expect(state.visitor('u-1')).toMatchObject({ events: 3, recentEvents: null, droppedUpTo: null });
    const restored = new EventEnricher(OPTIONS, state);

    const next = enriched(restored.enrich(raw({ timestamp: T0 + 120_000 })));
    expect(next.features?.features).toMatchObject({ session_events: 4, session_clicks: 3, session_page_views: 1, session_duration_s: 120, seconds_since_prev_event: 60 });
    // Between the restored events and the new one: everything after it was kept, and the one before it is known.
    const between = enriched(restored.enrich(raw({ timestamp: T0 + 90_000, event: 'Products Searched', properties: '{"query":"q"}' })));
    expect(between.asOf).toBe('exact');
    expect(between.features?.features).toMatchObject({ session_events: 4, session_clicks: 2, session_searches: 1, session_page_views: 1, session_duration_s: 90, seconds_since_prev_event: 30 });
    // Before the restored latest event: which restored events came after it is unknown.
    const older = enriched(restored.enrich(raw({ timestamp: T0 + 45_000, event: 'Products Searched', properties: '{"query":"q"}' })));
    expect(older.asOf).toBe('lower_bound');
    expect(older.features?.features).toMatchObject({ session_events: 1, session_clicks: 0, session_searches: 1, session_page_views: 0, session_duration_s: 45, seconds_since_prev_event: 0 });
  });

  it('dead-letters an event later than the bound, saying by how much', () => {
    const e = enricher();
    enriched(e.enrich(raw({ timestamp: T0 + 10 * 60_000, receivedAt: T0 + 10 * 60_000 })));
    expect(e.enrich(raw({ timestamp: T0 }))).toEqual({
      outcome: 'rejected',
      cause: 'too_late',
      failure: {
        field: 'timestamp',
        reason: "event time 2024-05-04T23:30:00.000Z is 600 s before the visitor's latest event (2024-05-04T23:40:00.000Z), beyond the lateness bound of 300 s",
      },
    });
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

/** A deterministic random source, so a failing shuffle can be replayed from its seed. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** One visitor's visit in event-time order: `n` events 1 to 20 s apart (longer than the lateness bound in all), of every kind. */
function visitOf(n: number, random: () => number): RawEvent[] {
  const shapes: Array<Partial<RawEvent>> = [
    { type: 'page', event: null },
    { event: 'Product Clicked' },
    { event: 'Products Searched', properties: '{"query":"shoes"}' },
    { event: 'Product Added', properties: JSON.stringify({ productId: 'sku-1', price: '19.90', quantity: 2 }) },
    { event: 'Product Added', properties: JSON.stringify({ productId: 'sku-2', price: 5.25 }) },
    { event: 'Newsletter Signup' },
    { event: 'Order Completed', properties: '{"revenue":45.05}' },
  ];
  let time = T0;
  return Array.from({ length: n }, (_, i) => {
    time += 1000 + Math.floor(random() * 19_000);
    return raw({ messageId: `visit-${i}`, timestamp: time, receivedAt: time + 50, ...shapes[Math.floor(random() * shapes.length)] });
  });
}

/** Each event's features when `events` arrive in event-time order, by messageId. */
function vectorsInOrder(events: RawEvent[]): Map<string, Record<string, number> | undefined> {
  const e = enricher();
  const out = new Map<string, Record<string, number> | undefined>();
  for (const event of [...events].sort((a, b) => a.timestamp - b.timestamp)) {
    const result = enriched(e.enrich(event));
    expect(result.late).toBe(false);
    out.set(event.messageId, result.features?.features);
  }
  return out;
}

/** A new enricher restored from `from`'s changelog changes, each encoded and decoded with the changelog's codec. */
function restoredThroughAvro(from: EventEnricher): EventEnricher {
  const codec = topicsFor().enricherState.codec;
  const state = new PartitionState(OPTIONS);
  for (const { key, value } of from.takeChanges()) state.restore(key, value && codec.decode(codec.encode(value)));
  return new EventEnricher(OPTIONS, state);
}

function omit<T extends object, K extends keyof T>(value: T, ...keys: K[]): Omit<T, K> {
  const copy = { ...value };
  for (const key of keys) delete copy[key];
  return copy;
}
