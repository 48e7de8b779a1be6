import { createTestDatabase, type TestDatabase } from '@telltale/testing';

// The prediction_calibration view (migration 006) on the real engine: the live counterpart of the trainer's
// calibration by decile, mean prediction against observed conversion per score bucket.

const T0 = Date.parse('2026-11-29T10:00:00.000Z');
/** DateTime64 text as ClickHouse reads it (UTC). */
const toClickHouseTime = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

describe('prediction_calibration view', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
    const prediction = (session: string, message: string, atS: number, probability: number, version = 7) => ({
      user_key: `u-${session}`,
      session_id: session,
      message_id: message,
      model_name: 'purchase_propensity',
      model_version: version,
      probability,
      event_time: toClickHouseTime(T0 + atS * 1000),
      predicted_at: toClickHouseTime(T0 + atS * 1000 + 50),
    });
    const purchase = (session: string, message: string, atS: number) => ({
      message_id: message,
      type: 'track',
      event: 'Order Completed',
      kind: 'purchase',
      user_key: `u-${session}`,
      session_id: session,
      event_time: toClickHouseTime(T0 + atS * 1000),
      received_at: toClickHouseTime(T0 + atS * 1000),
      enriched_at: toClickHouseTime(T0 + atS * 1000),
      hour_of_day: 10,
      day_of_week: 0,
      properties: '{}',
    });
    await db.client.insert({
      table: 'predictions',
      format: 'JSONEachRow',
      values: [
        // Bucket 0.8–0.9: two sessions, one buys after the scored event → observed 0.5.
        prediction('a', 'a1', 10, 0.82),
        prediction('b', 'b1', 10, 0.88),
        // Scored after a's purchase: left out, as the trainer leaves such snapshots out.
        prediction('a', 'a2', 40, 0.95),
        // Bucket 0.1–0.2: three predictions of one session that never buys → observed 0.
        prediction('c', 'c1', 10, 0.1),
        prediction('c', 'c2', 11, 0.12),
        prediction('c', 'c3', 12, 0.2 - 1e-9),
        // Outside the window.
        prediction('d', 'd1', 4000, 0.5),
        // Another model version gets rows of its own.
        prediction('e', 'e1', 10, 0.85, 8),
      ],
    });
    await db.client.insert({ table: 'events', format: 'JSONEachRow', values: [purchase('a', 'a-buy', 30), purchase('a', 'a-buy-again', 50)] });
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('shows mean predicted probability against observed conversion by score bucket', async () => {
    const rs = await db.client.query({
      query: 'SELECT model_version, bucket, score_from, score_to, predictions, sessions, mean_predicted, observed_rate FROM prediction_calibration(from = {from:String}, to = {to:String})',
      query_params: { from: toClickHouseTime(T0), to: toClickHouseTime(T0 + 3600_000) },
      format: 'JSONEachRow',
      clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
    });
    expect(await rs.json()).toEqual([
      { model_version: 7, bucket: 1, score_from: 0.1, score_to: 0.2, predictions: 3, sessions: 1, mean_predicted: expect.closeTo((0.1 + 0.12 + 0.2 - 1e-9) / 3, 12), observed_rate: 0 },
      { model_version: 7, bucket: 8, score_from: 0.8, score_to: 0.9, predictions: 2, sessions: 2, mean_predicted: expect.closeTo(0.85, 12), observed_rate: 0.5 },
      { model_version: 8, bucket: 8, score_from: 0.8, score_to: 0.9, predictions: 1, sessions: 1, mean_predicted: 0.85, observed_rate: 0 },
    ]);
  });
});
