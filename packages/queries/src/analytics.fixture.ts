import { toClickHouseTime, type ClickHouseClient } from '@telltale/clickhouse';

// A small fixed data set whose answers are counted by hand in analytics.int.test.ts (not recomputed with the same
// SQL). Days: D0 = Wed 2024-05-01, D1, D2, D3; the clock of every event is 10:00 UTC plus an offset in seconds.
//
// Sessions of D0 for the funnel (page_view → add_to_cart → purchase, window 3600 s):
//   s1 ann    view, cart +10, purchase +20 (a duplicate of the view too)    → 3 steps        desktop, google.com, spring
//   s2 bob    view, cart +5                                                → 2              mobile,  google.com
//   s3 anon-1 view                                                         → 1              mobile
//   s4 cy     cart, view +10, purchase +20 (cart before view: out of order) → 1            desktop, news.ycombinator.com
//   s5 dee    view, cart +4000, purchase +4010 (outside the window)        → 1              mobile,  spring
//   s7 eve    a click only                                                 → 0              tablet
//   s6 cy     a view on 2024-04-30 (before the window, and cy's first seen)
// Later: s9 anon-2 (D1, then identifies as fay: anon-1 and anon-2 are both fay's), s8 ann (D2), s10 gus (D1),
// s11 gus (D2), s12 hal (D2).

export const D0 = Date.parse('2024-05-01T10:00:00.000Z');
const DAY = 86_400_000;

interface EventSpec {
  id: string;
  session: string;
  userId?: string;
  anonymousId?: string;
  kind: string;
  event: string;
  at: number;
  device?: string;
  referrerHost?: string;
  campaign?: string;
  path?: string;
  revenue?: number;
  properties?: Record<string, unknown>;
}

const typeOf = (kind: string) => (kind === 'page_view' ? 'page' : kind === 'identify' ? 'identify' : 'track');

export const FIXTURE_EVENTS: EventSpec[] = [
  { id: 's1-view', session: 's1', userId: 'ann', kind: 'page_view', event: 'page', at: D0, device: 'desktop', referrerHost: 'google.com', campaign: 'spring', path: '/' },
  { id: 's1-view', session: 's1', userId: 'ann', kind: 'page_view', event: 'page', at: D0, device: 'desktop', referrerHost: 'google.com', campaign: 'spring', path: '/' },
  { id: 's1-cart', session: 's1', userId: 'ann', kind: 'add_to_cart', event: 'Product Added', at: D0 + 10_000, device: 'desktop', campaign: 'spring' },
  { id: 's1-buy', session: 's1', userId: 'ann', kind: 'purchase', event: 'Order Completed', at: D0 + 20_000, device: 'desktop', campaign: 'spring', revenue: 30 },
  { id: 's2-view', session: 's2', userId: 'bob', kind: 'page_view', event: 'page', at: D0, device: 'mobile', referrerHost: 'google.com', path: '/shoes' },
  { id: 's2-cart', session: 's2', userId: 'bob', kind: 'add_to_cart', event: 'Product Added', at: D0 + 5_000, device: 'mobile' },
  { id: 's3-view', session: 's3', anonymousId: 'anon-1', kind: 'page_view', event: 'page', at: D0, device: 'mobile', path: '/shoes' },
  { id: 's4-cart', session: 's4', userId: 'cy', kind: 'add_to_cart', event: 'Product Added', at: D0, device: 'desktop', referrerHost: 'news.ycombinator.com' },
  { id: 's4-view', session: 's4', userId: 'cy', kind: 'page_view', event: 'page', at: D0 + 10_000, device: 'desktop', path: '/' },
  { id: 's4-buy', session: 's4', userId: 'cy', kind: 'purchase', event: 'Order Completed', at: D0 + 20_000, device: 'desktop', revenue: 12 },
  { id: 's5-view', session: 's5', userId: 'dee', kind: 'page_view', event: 'page', at: D0, device: 'mobile', campaign: 'spring', path: '/' },
  { id: 's5-cart', session: 's5', userId: 'dee', kind: 'add_to_cart', event: 'Product Added', at: D0 + 4_000_000, device: 'mobile' },
  { id: 's5-buy', session: 's5', userId: 'dee', kind: 'purchase', event: 'Order Completed', at: D0 + 4_010_000, device: 'mobile', revenue: 50 },
  { id: 's6-view', session: 's6', userId: 'cy', kind: 'page_view', event: 'page', at: D0 - DAY, device: 'desktop', path: '/' },
  { id: 's7-click', session: 's7', userId: 'eve', kind: 'click', event: 'Button Clicked', at: D0, device: 'tablet' },
  // fay: anon-1 on D0 (s3 above), anon-2 on D1, then two identify calls linking anon-2 (and an alias linking anon-1).
  { id: 's9-view', session: 's9', anonymousId: 'anon-2', kind: 'page_view', event: 'page', at: D0 + DAY, device: 'mobile', path: '/shoes' },
  { id: 's9-identify-1', session: 's9', userId: 'fay', anonymousId: 'anon-2', kind: 'identify', event: 'identify', at: D0 + DAY + 60_000, properties: { email: 'fay@old.example', plan: 'free' } },
  { id: 's9-identify-2', session: 's9', userId: 'fay', anonymousId: 'anon-2', kind: 'identify', event: 'identify', at: D0 + DAY + 120_000, properties: { plan: 'pro', seats: 3 } },
  { id: 's9-alias', session: 's9', userId: 'fay', anonymousId: 'anon-2', kind: 'identify', event: 'alias', at: D0 + DAY + 180_000, properties: { previousId: 'anon-1' } },
  { id: 's8-view', session: 's8', userId: 'ann', kind: 'page_view', event: 'page', at: D0 + 2 * DAY, device: 'desktop', path: '/' },
  { id: 's10-view', session: 's10', userId: 'gus', kind: 'page_view', event: 'page', at: D0 + DAY, device: 'mobile', path: '/' },
  { id: 's11-view', session: 's11', userId: 'gus', kind: 'page_view', event: 'page', at: D0 + 2 * DAY, device: 'mobile', path: '/' },
  { id: 's12-view', session: 's12', userId: 'hal', kind: 'page_view', event: 'page', at: D0 + 2 * DAY, device: 'mobile', path: '/' },
];

/** A model (v2) and the feature vector of fay's latest prediction, so the explanation can be checked by hand. */
export const FIXTURE_MODEL = {
  featureTransform: 'telltale.inputs.v1',
  featureNames: ['event_kind_page_view', 'log1p_session_events', 'session_duration_s'],
  means: [0.5, 1, 60],
  stds: [0.5, 1, 30],
  weights: [-0.4, 0.9, 0.3],
  intercept: -2,
};
/** The explanation stored with ann's latest prediction (s1-buy). */
export const FIXTURE_STORED_EXPLANATION = { intercept: -3, logit: 2.2, top: [{ input: 'has_cart', value: 1, contribution: 4.1 }] };
export const FIXTURE_FEATURES = { session_events: 3, session_duration_s: 150 };

const predictionsOf = [
  // [user_key, session, message, version, probability, event time]
  ['ann', 's1', 's1-view', 1, 0.15, D0],
  ['bob', 's2', 's2-view', 1, 0.12, D0],
  ['anon-1', 's3', 's3-view', 1, 0.05, D0],
  ['ann', 's1', 's1-buy', 1, 0.9, D0 + 20_000],
  ['cy', 's4', 's4-view', 1, 0.55, D0 + 10_000],
  // fay's latest, made under her second anonymousId before she identified.
  ['anon-2', 's9', 's9-view', 2, 0.4, D0 + DAY],
] as const;

export async function insertFixture(client: ClickHouseClient): Promise<void> {
  await client.insert({
    table: 'events',
    format: 'JSONEachRow',
    values: FIXTURE_EVENTS.map((e) => ({
      message_id: e.id,
      type: typeOf(e.kind),
      event: e.event,
      kind: e.kind,
      user_key: e.userId ?? e.anonymousId,
      user_id: e.userId ?? null,
      anonymous_id: e.anonymousId ?? null,
      session_id: e.session,
      event_time: toClickHouseTime(e.at),
      received_at: toClickHouseTime(e.at),
      enriched_at: toClickHouseTime(e.at),
      hour_of_day: 10,
      day_of_week: 3,
      source: 'web',
      device_type: e.device ?? null,
      referrer_host: e.referrerHost ?? null,
      referrer_class: e.referrerHost ? 'search' : null,
      utm_campaign: e.campaign ?? null,
      page_path: e.path ?? null,
      revenue: e.revenue ?? null,
      properties: JSON.stringify(e.properties ?? {}),
    })),
  });
  await client.insert({
    table: 'identities',
    format: 'JSONEachRow',
    values: [
      { anonymous_id: 'anon-2', user_id: 'fay', first_linked: toClickHouseTime(D0 + DAY + 60_000), source: 'identify', message_id: 's9-identify-1' },
      { anonymous_id: 'anon-1', user_id: 'fay', first_linked: toClickHouseTime(D0 + DAY + 180_000), source: 'alias', message_id: 's9-alias' },
    ],
  });
  await client.insert({
    table: 'predictions',
    format: 'JSONEachRow',
    values: predictionsOf.map(([user, session, message, version, probability, at]) => ({
      user_key: user,
      session_id: session,
      message_id: message,
      model_name: 'purchase_propensity',
      model_version: version,
      probability,
      event_time: toClickHouseTime(at),
      predicted_at: toClickHouseTime(at + 50),
      // As the sink stores the scorer's header; the others are from before explanations (recomputed when asked).
      explanation: message === 's1-buy' ? JSON.stringify(FIXTURE_STORED_EXPLANATION) : '',
    })),
  });
  await client.insert({
    table: 'session_features',
    format: 'JSONEachRow',
    values: [{ user_key: 'anon-2', session_id: 's9', message_id: 's9-view', event_kind: 'page_view', event_time: toClickHouseTime(D0 + DAY), computed_at: toClickHouseTime(D0 + DAY + 10), features: FIXTURE_FEATURES }],
  });
  const model = (version: number, promoted: boolean, intercept: number) => ({
    model_name: 'purchase_propensity',
    run_id: `run-${version}`,
    trained_at: toClickHouseTime(D0 + version * 1000),
    version,
    promoted,
    decision: 'promoted',
    algorithm: 'newton',
    feature_transform: FIXTURE_MODEL.featureTransform,
    feature_names: FIXTURE_MODEL.featureNames,
    means: FIXTURE_MODEL.means,
    stds: FIXTURE_MODEL.stds,
    weights: FIXTURE_MODEL.weights,
    intercept,
    data_from: toClickHouseTime(D0),
    data_to: toClickHouseTime(D0),
    holdout_from: toClickHouseTime(D0),
  });
  await client.insert({ table: 'models', format: 'JSONEachRow', values: [model(1, true, -3), model(2, true, FIXTURE_MODEL.intercept)] });
}
