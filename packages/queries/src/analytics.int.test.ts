import { createClickHouseClient } from '@telltale/clickhouse';
import { createTestDatabase, type TestDatabase } from '@telltale/testing';
import { Analytics, QueryInputError } from './analytics';
import { FIXTURE_STORED_EXPLANATION, insertFixture } from './analytics.fixture';

// Every expected number below is counted by hand from the data set in analytics.fixture.ts (its header comment lists
// the sessions), not recomputed with the queries' SQL.

describe('analytics queries on the real engine (hand-counted fixture)', () => {
  let db: TestDatabase;
  let analytics: Analytics;
  beforeAll(async () => {
    db = await createTestDatabase();
    await insertFixture(db.client);
    analytics = new Analytics(createClickHouseClient(db.settings, { readOnly: 'setting' }));
  });
  afterAll(() => db?.drop());

  const D0 = { from: '2024-05-01', to: '2024-05-02' };

  it('funnel: counts, P(step | previous step) and the product; out-of-order and out-of-window steps do not count', async () => {
    const f = await analytics.funnel({ ...D0, steps: ['page_view', 'add_to_cart', 'purchase'] });
    // 6 sessions on D0 (s6 is the day before); viewed: all but s7; cart after view within 1 h: s1, s2 (s4's cart came
    // before its view, s5's after the hour); purchase after that: s1.
    expect(f.overall.sessions).toBe(6);
    expect(f.overall.steps.map((s) => s.count)).toEqual([5, 2, 1]);
    expect(f.overall.steps.map((s) => s.conversion)).toEqual([5 / 6, 2 / 5, 1 / 2]);
    expect(f.overall.conversion).toBeCloseTo(1 / 6, 12);
  });

  it('funnel by a dimension (the session first event’s device type), and steps by event name', async () => {
    const f = await analytics.funnel({ ...D0, steps: 'page_view,add_to_cart,purchase', by: 'device_type' });
    expect(f.by!.groups.map((g) => [g.value, g.sessions, g.steps.map((s) => s.count)])).toEqual([
      ['mobile', 3, [3, 1, 0]],
      ['desktop', 2, [2, 1, 1]],
      ['tablet', 1, [0, 0, 0]],
    ]);
    expect(f.overall.steps.map((s) => s.count)).toEqual([5, 2, 1]);

    // s1 and s4 complete an order within the hour after a view; s5's order is 4010 s after its view.
    const byName = await analytics.funnel({ ...D0, steps: ['page_view', 'event:Order Completed'] });
    expect(byName.steps).toEqual(['page_view', 'event:Order Completed']);
    expect(byName.overall.steps.map((s) => s.count)).toEqual([5, 2]);
  });

  it('retention by first-seen day: a person’s anonymous and identified events are one person; a cohort with no return', async () => {
    const r = await analytics.retention({ from: '2024-05-01', to: '2024-05-06', unit: 'day', periods: 2 });
    // cy was first seen on 04-30, so belongs to no cohort here. fay (anon-1 on D0, anon-2 and her userId on D1) is one
    // person of the D0 cohort who came back on D1.
    expect(r.cohorts.map((c) => [c.cohort, c.people, c.active])).toEqual([
      ['2024-05-01', 5, [5, 1, 1]],
      ['2024-05-02', 1, [1, 1, 0]],
      ['2024-05-03', 1, [1, 0, 0]],
    ]);
    expect(r.cohorts[0]!.rates).toEqual([1, 0.2, 0.2]);
  });

  it('active persons per day, week and month', async () => {
    const day = await analytics.active({ from: '2024-05-01', to: '2024-05-06', unit: 'day' });
    expect(day.periods).toEqual([
      { period: '2024-05-01', people: 6 },
      { period: '2024-05-02', people: 2 }, // fay (anon-2 and fay) and gus
      { period: '2024-05-03', people: 3 },
    ]);
    expect((await analytics.active({ from: '2024-05-01', to: '2024-05-06', unit: 'week' })).periods).toEqual([{ period: '2024-04-29', people: 8 }]);
    expect((await analytics.active({ from: '2024-05-01', to: '2024-05-06', unit: 'month' })).periods).toEqual([{ period: '2024-05-01', people: 8 }]);
  });

  it('top events, pages, referrers and campaigns (a duplicated event counts once)', async () => {
    const w = { from: '2024-05-01', to: '2024-05-06' };
    expect((await analytics.top({ ...w, subject: 'events' })).rows.map((r) => [r.value, r.events])).toEqual([
      ['page', 10],
      ['Product Added', 4],
      ['Order Completed', 3],
      ['identify', 2],
      ['Button Clicked', 1],
      ['alias', 1],
    ]);
    expect((await analytics.top({ ...w, subject: 'pages', limit: 1 })).rows).toEqual([{ value: '/', events: 7, sessions: 7, users: 5 }]); // ann twice, cy, dee, gus twice, hal
    expect((await analytics.top({ ...w, subject: 'referrers' })).rows.map((r) => [r.value, r.events])).toEqual([
      ['google.com', 2],
      ['news.ycombinator.com', 1],
    ]);
    expect((await analytics.top({ ...w, subject: 'campaigns' })).rows).toEqual([{ value: 'spring', events: 4, sessions: 2, users: 2 }]);
  });

  it('a person with two anonymous ids: found by either, with traits at their latest value, sessions, events and the latest score explained', async () => {
    const p = (await analytics.person({ id: 'anon-1' }))!;
    expect(p.person).toBe('fay');
    expect(p.userId).toBe('fay');
    expect(p.anonymousIds).toEqual(['anon-1', 'anon-2']);
    expect(p.profile).toMatchObject({ events: 5, sessions: 2, pageViews: 2, purchases: 0, firstSeen: '2024-05-01T10:00:00.000Z', lastSeen: '2024-05-02T10:03:00.000Z' });
    // plan changed from free to pro; the alias call's previousId is not a trait.
    expect(p.traits).toEqual({
      email: { value: 'fay@old.example', setAt: '2024-05-02T10:01:00.000Z' },
      plan: { value: 'pro', setAt: '2024-05-02T10:02:00.000Z' },
      seats: { value: 3, setAt: '2024-05-02T10:02:00.000Z' },
    });
    expect(p.sessions.map((s) => [s.sessionId, s.events])).toEqual([
      ['s9', 4],
      ['s3', 1],
    ]);
    expect(p.events[0]!.messageId).toBe('s9-alias');
    expect(p.prediction).toMatchObject({ userKey: 'anon-2', modelVersion: 2, probability: 0.4, eventTime: '2024-05-02T10:00:00.000Z' });
    // By hand: z = (1-0.5)/0.5 = 1, (ln 4 - 1)/1, (150-60)/30 = 3 → -0.4, 0.9·(ln 4 - 1), 0.3·3.
    const e = p.prediction!.explanation!;
    expect(e.top.map((c) => [c.input, c.contribution])).toEqual([
      ['session_duration_s', expect.closeTo(0.9, 12)],
      ['event_kind_page_view', expect.closeTo(-0.4, 12)],
      ['log1p_session_events', expect.closeTo(0.9 * (Math.log(4) - 1), 12)],
    ]);
    expect(e.logit).toBeCloseTo(-2 - 0.4 + 0.9 * (Math.log(4) - 1) + 0.9, 12);

    expect((await analytics.person({ id: 'anon-2' }))!.person).toBe('fay');
    expect((await analytics.person({ id: 'fay' }))!.anonymousIds).toEqual(['anon-1', 'anon-2']);
  });

  it('a person who only ever sent a userId, and an unknown one', async () => {
    const ann = (await analytics.person({ id: 'ann' }))!;
    expect(ann).toMatchObject({ person: 'ann', userId: 'ann', anonymousIds: [], traits: {} });
    expect(ann.profile).toMatchObject({ events: 4, sessions: 2, purchases: 1, revenue: 30 });
    // Stored with the prediction: served as the scorer wrote it (not recomputed).
    expect(ann.prediction).toMatchObject({ messageId: 's1-buy', probability: 0.9, explanation: FIXTURE_STORED_EXPLANATION });
    expect(await analytics.person({ id: 'nobody' })).toBeNull();
    expect(await analytics.prediction('nobody')).toBeNull();
    expect(await analytics.person({ id: 'anon-9' })).toBeNull();
  });

  it('prediction quality: mean score against observed conversion by bucket and by day', async () => {
    const c = await analytics.calibration({ from: '2024-05-01', to: '2024-05-03' });
    // ann's score on her purchase itself is left out (at the session's first purchase).
    expect(c.byBucket.map((b) => [b.bucket, b.predictions, b.meanPredicted, b.observedRate])).toEqual([
      [0, 1, 0.05, 0],
      [1, 2, expect.closeTo(0.135, 12), 0.5],
      [4, 1, 0.4, 0],
      [5, 1, 0.55, 1],
    ]);
    expect(c.byDay.map((d) => [d.day, d.predictions, d.meanPredicted, d.observedRate])).toEqual([
      ['2024-05-01', 4, expect.closeTo(0.2175, 12), 0.5],
      ['2024-05-02', 1, 0.4, 0],
    ]);
  });

  it('scores a feature vector with the newest promoted model, explained', async () => {
    const s = (await analytics.score({ eventKind: 'page_view', features: { session_events: 3, session_duration_s: 150 } }))!;
    expect(s.modelVersion).toBe(2);
    expect(s.explanation.logit).toBeCloseTo(-2 - 0.4 + 0.9 * (Math.log(4) - 1) + 0.9, 12);
    expect(s.probability).toBeCloseTo(1 / (1 + Math.exp(-s.explanation.logit)), 15);
  });

  it('refuses bad input naming the field', async () => {
    await expect(analytics.funnel({ steps: ['page_view'] })).rejects.toEqual(new QueryInputError('steps', 'at least 2 steps'));
    await expect(analytics.active({ unit: 'year' as 'day' })).rejects.toMatchObject({ field: 'unit' });
    await expect(analytics.top({ from: 'yesterday' })).rejects.toMatchObject({ field: 'from' });
    await expect(analytics.score({ eventKind: 'page_view', features: { a: 'x' as unknown as number } })).rejects.toMatchObject({ field: 'features.a' });
  });
});
