import { toClickHouseTime } from './clickhouse-client';
import { createTestDatabase, type TestDatabase } from '@telltale/testing';

const T0 = Date.parse('2024-05-01T10:00:00.000Z');

function event(user: string, session: string, kind: string, offsetS: number, extra: Record<string, unknown> = {}) {
  return {
    message_id: `${session}-${kind}-${offsetS}`,
    type: kind === 'page_view' ? 'page' : 'track',
    event: kind,
    kind,
    user_key: user,
    user_id: user.startsWith('anon') ? null : user,
    anonymous_id: user.startsWith('anon') ? user : null,
    session_id: session,
    event_time: toClickHouseTime(T0 + offsetS * 1000),
    received_at: toClickHouseTime(T0 + offsetS * 1000),
    enriched_at: toClickHouseTime(T0 + offsetS * 1000),
    hour_of_day: 10,
    day_of_week: 3,
    properties: '{}',
    ...extra,
  };
}

describe('analytics views (migration 004) on the real engine', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
    await db.client.insert({
      table: 'events',
      format: 'JSONEachRow',
      values: [
        // 4 sessions: all view; 2 add to cart; 1 of those buys. A purchase before any cart (s5) does not count.
        event('ann', 's1', 'page_view', 0, { category: 'shoes' }),
        event('ann', 's1', 'add_to_cart', 10, { category: 'shoes', price: 30 }),
        event('ann', 's1', 'purchase', 20, { revenue: 30 }),
        event('bob', 's2', 'page_view', 0, { category: 'hats' }),
        event('bob', 's2', 'add_to_cart', 5, { category: 'hats' }),
        event('anon-1', 's3', 'page_view', 0),
        event('anon-2', 's4', 'page_view', 0),
        event('ann', 's5', 'purchase', 100, { revenue: 12.5 }),
        event('ann', 's5', 'page_view', 110),
        // Outside the window asked for.
        event('cy', 's6', 'page_view', -86_400),
      ],
    });
    await db.client.insert({
      table: 'predictions',
      format: 'JSONEachRow',
      values: [
        { user_key: 'ann', session_id: 's1', message_id: 'a', model_name: 'm', model_version: 1, probability: 0.2, event_time: toClickHouseTime(T0), predicted_at: toClickHouseTime(T0 + 1) },
        { user_key: 'ann', session_id: 's5', message_id: 'b', model_name: 'm', model_version: 2, probability: 0.7, event_time: toClickHouseTime(T0), predicted_at: toClickHouseTime(T0 + 2) },
      ],
    });
  });
  afterAll(() => db?.drop());

  it('funnel gives P(view) · P(cart | view) · P(purchase | cart) for a time window', async () => {
    const rs = await db.client.query({
      query: 'SELECT * FROM funnel(from = {from:String}, to = {to:String})',
      query_params: { from: '2024-05-01 00:00:00', to: '2024-05-02 00:00:00' },
      format: 'JSONEachRow',
    });
    const [row] = await rs.json<Record<string, number | string>>();
    expect({ ...row, sessions: Number(row!.sessions), viewed: Number(row!.viewed), added_to_cart: Number(row!.added_to_cart), purchased: Number(row!.purchased) }).toEqual({
      sessions: 5,
      viewed: 5,
      added_to_cart: 2,
      purchased: 1,
      p_view: 1,
      p_cart_given_view: 0.4,
      p_purchase_given_cart: 0.5,
      p_purchase: expect.closeTo(0.2, 12),
    });
  });

  it('user_profiles summarises each user', async () => {
    const rs = await db.client.query({ query: "SELECT * FROM user_profiles WHERE user_key = 'ann'", format: 'JSONEachRow' });
    const [ann] = await rs.json<Record<string, unknown>>();
    expect({ ...ann, sessions: Number(ann!.sessions), events: Number(ann!.events), page_views: Number(ann!.page_views), add_to_carts: Number(ann!.add_to_carts), purchases: Number(ann!.purchases), searches: Number(ann!.searches) }).toMatchObject({
      user_key: 'ann',
      known_user_id: 'ann',
      sessions: 2,
      events: 5,
      page_views: 2,
      searches: 0,
      add_to_carts: 1,
      purchases: 2,
      total_revenue: 42.5,
      top_categories: ['shoes'],
    });
  });

  it('latest_predictions keeps the newest score per user', async () => {
    const rs = await db.client.query({ query: 'SELECT user_key, latest_session_id, latest_probability FROM latest_predictions', format: 'JSONEachRow' });
    expect(await rs.json()).toEqual([{ user_key: 'ann', latest_session_id: 's5', latest_probability: 0.7 }]);
  });
});
