import { toClickHouseTime, type ClickHouseClient } from '@telltale/clickhouse';
import type { TrainingSet } from '@telltale/model';
import { createTestDatabase, type TestDatabase } from '@telltale/testing';
import { TRAINING_ROWS_SQL, loadTrainingSet, trainingRowsParams, type TrainingWindow } from './training-data';

// The training query before it was bounded by a window (issue 14): the reference for what a run must return within
// the window. It read all of session_features, every bot session and every purchase ever.
const UNBOUNDED_TRAINING_ROWS_SQL = `
SELECT f.session_id AS session_id, f.event_kind AS event_kind, toUnixTimestamp64Milli(f.event_time) AS event_ms,
  toUInt8(p.purchases > 0 AND p.first_purchase_at > f.event_time) AS label
FROM
(
  SELECT session_id, message_id, event_kind, event_time FROM session_features FINAL
  WHERE event_time <= fromUnixTimestamp64Milli({cutoffMs:Int64}, 'UTC')
    AND session_id NOT IN (SELECT session_id FROM events WHERE is_bot)
) AS f
LEFT JOIN
(
  SELECT session_id, count() AS purchases, min(event_time) AS first_purchase_at FROM events FINAL
  WHERE kind = 'purchase' GROUP BY session_id
) AS p ON p.session_id = f.session_id
WHERE p.purchases = 0 OR f.event_time < p.first_purchase_at
ORDER BY f.event_time DESC, f.message_id
LIMIT {maxRows:UInt32}`;

interface Row {
  session_id: string;
  event_kind: string;
  event_ms: number;
  label: number;
}

const MINUTE = 60_000;
const now = Date.now();
const window: TrainingWindow = { cutoffMs: now - 30_000, windowMs: 120 * MINUTE, sessionSlackMs: 30 * MINUTE, maxRows: 1_000_000 };
const { fromMs } = trainingRowsParams(window);

/**
 * Recent sessions, all within the window's reach: 4 snapshots 10 s apart, some buy at +45 s (then a snapshot after
 * the purchase), duplicates of some rows, crawler sessions; and two sessions that began before the window, within
 * the slack: one bought before the window began (its snapshots inside come after the purchase: none is a training
 * row), one is a crawler whose bot event is before the window.
 */
async function insertRecent(client: ClickHouseClient): Promise<void> {
  const features: Array<Record<string, unknown>> = [];
  const events: Array<Record<string, unknown>> = [];
  const at = (ms: number) => toClickHouseTime(ms);
  const add = (s: string, id: string, kind: string, ms: number, extra: Record<string, unknown> = {}) => {
    features.push({ user_key: `u-${s}`, session_id: s, message_id: id, event_kind: kind, event_time: at(ms), computed_at: at(ms), features: { session_events: 1 } });
    events.push({ message_id: id, type: 'track', event: kind, kind, user_key: `u-${s}`, session_id: s, event_time: at(ms), received_at: at(ms), enriched_at: at(ms), hour_of_day: 1, day_of_week: 1, properties: '{}', ...extra });
  };
  // Sessions from the window's first minutes (some straddle its start) to near the cutoff.
  for (let i = 0; i < 60; i++) {
    const s = `recent-${i}`;
    const start = fromMs - 3 * MINUTE + i * 2 * MINUTE;
    for (let k = 0; k < 4; k++) add(s, `${s}-${k}`, k === 0 ? 'page_view' : 'add_to_cart', start + k * 10_000);
    if (i % 3 === 0) {
      add(s, `${s}-buy`, 'purchase', start + 45_000);
      add(s, `${s}-after`, 'page_view', start + 50_000);
    }
    if (i % 7 === 0) add(s, `${s}-1`, 'add_to_cart', start + 10_000); // an at-least-once duplicate
  }
  for (let b = 0; b < 5; b++) {
    for (let k = 0; k < 3; k++) add(`bot-${b}`, `bot-${b}-${k}`, 'page_view', fromMs + (10 + b) * MINUTE + k * 1000, { is_bot: true });
  }
  // Began 10 minutes before the window and bought before it: what it does inside the window is after its purchase.
  add('early-buyer', 'early-buyer-0', 'page_view', fromMs - 10 * MINUTE);
  add('early-buyer', 'early-buyer-buy', 'purchase', fromMs - 5 * MINUTE);
  add('early-buyer', 'early-buyer-1', 'page_view', fromMs + MINUTE);
  add('early-buyer', 'early-buyer-2', 'page_view', fromMs + 2 * MINUTE);
  // A crawler flagged only by an event before the window.
  add('early-bot', 'early-bot-0', 'page_view', fromMs - 8 * MINUTE, { is_bot: true });
  add('early-bot', 'early-bot-1', 'page_view', fromMs + 3 * MINUTE);
  await client.insert({ table: 'session_features', values: features, format: 'JSONEachRow' });
  await client.insert({ table: 'events', values: events, format: 'JSONEachRow' });
}

const OLD_HISTORY_ROWS = 30_000;

/** Months of older history, made by ClickHouse (sessions of 5 snapshots, purchases, crawlers), 60 to 90 days back. */
async function insertOldHistory(client: ClickHouseClient): Promise<void> {
  const rows = `
    SELECT number, concat('old-', toString(intDiv(number, 5))) AS s, number % 5 AS k,
           fromUnixTimestamp64Milli(toInt64({endMs:Int64} - intDiv(number, 5) * 432000 + k * 10000), 'UTC') AS t,
           multiIf(k = 4 AND intDiv(number, 5) % 4 = 0, 'purchase', 'page_view') AS kind, intDiv(number, 5) % 10 = 3 AS bot
    FROM numbers({n:UInt64})`;
  const params = { endMs: now - 60 * 24 * 60 * MINUTE, n: OLD_HISTORY_ROWS };
  await client.command({
    query: `INSERT INTO session_features (user_key, session_id, message_id, event_kind, event_time, computed_at, features)
            SELECT s, s, concat(s, '-', toString(k)), kind, t, t, map('session_events', toFloat64(k + 1)) FROM (${rows})`,
    query_params: params,
  });
  await client.command({
    query: `INSERT INTO events (message_id, type, event, kind, user_key, session_id, event_time, received_at, enriched_at, hour_of_day, day_of_week, properties, is_bot)
            SELECT concat(s, '-', toString(k)), 'track', kind, kind, s, s, t, t, t, 1, 1, '{}', bot FROM (${rows})`,
    query_params: params,
  });
}

function rowsOf(set: TrainingSet): Row[] {
  return Array.from({ length: set.rows }, (_, i) => ({
    session_id: set.sessionIds[set.sessionCodes[i]!]!,
    event_kind: set.eventKinds[set.eventKindCodes[i]!]!,
    event_ms: set.eventTimeMs[i]!,
    label: set.labels[i]!,
  }));
}

/** The rows and how many rows ClickHouse read for them (its X-ClickHouse-Summary). */
async function run(client: ClickHouseClient, query: string, params: Record<string, number>): Promise<{ rows: Row[]; readRows: number }> {
  const rs = await client.query({ query, query_params: params, format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 0 } });
  // Without the features map (the reference leaves it out): what is compared is which rows, their order and labels.
  const rows = (await rs.json<Row>()).map(({ session_id, event_kind, event_ms, label }) => ({ session_id, event_kind, event_ms, label }));
  const summary = rs.response_headers['x-clickhouse-summary'];
  const readRows = Number((JSON.parse(String(summary)) as { read_rows: string }).read_rows);
  return { rows, readRows };
}

describe('training rows within a window', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
    await insertRecent(db.client);
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('reads no more rows with months of older history in ClickHouse, and returns what the unbounded query returns within the window', async () => {
    const params = trainingRowsParams(window);
    const alone = await run(db.client, TRAINING_ROWS_SQL, params);
    await insertOldHistory(db.client);
    const withHistory = await run(db.client, TRAINING_ROWS_SQL, params);
    const unbounded = await run(db.client, UNBOUNDED_TRAINING_ROWS_SQL, { cutoffMs: params.cutoffMs, maxRows: params.maxRows });

    // The older partitions are not read at all: the same rows read as before they existed (a background merge of
    // the duplicates can only make it fewer), far fewer than the history, which the unbounded query does read.
    expect(withHistory.readRows).toBeGreaterThan(0);
    expect(withHistory.readRows).toBeLessThanOrEqual(alone.readRows);
    expect(withHistory.readRows).toBeLessThan(OLD_HISTORY_ROWS / 10);
    expect(unbounded.readRows).toBeGreaterThan(OLD_HISTORY_ROWS / 2);
    expect(unbounded.rows.some((r) => r.event_ms < fromMs)).toBe(true);

    // Within the window: exactly the unbounded query's rows, in its order, labels included.
    const expected = unbounded.rows.filter((r) => r.event_ms >= fromMs);
    expect(withHistory.rows).toEqual(expected);
    const loaded = rowsOf(await loadTrainingSet(db.client, window));
    expect(loaded).toEqual(expected);

    // What the window had to get right: no crawler, nothing at or after a purchase (also one before the window),
    // duplicates once, both labels present.
    const sessions = new Set(loaded.map((r) => r.session_id));
    expect([...sessions].some((s) => s.startsWith('bot-') || s.startsWith('early-') || s.startsWith('old-'))).toBe(false);
    expect(loaded.some((r) => r.event_kind === 'purchase')).toBe(false);
    expect(new Set(loaded.map((r) => `${r.session_id}@${r.event_ms}`)).size).toBe(loaded.length);
    expect(new Set(loaded.map((r) => r.label))).toEqual(new Set([0, 1]));
  });

  it('takes the newest maxRows rows of the window, as the unbounded query does', async () => {
    const small = { ...window, maxRows: 25 };
    const params = trainingRowsParams(small);
    const unbounded = await run(db.client, UNBOUNDED_TRAINING_ROWS_SQL, { cutoffMs: params.cutoffMs, maxRows: 25 });
    expect(unbounded.rows).toHaveLength(25);
    expect(rowsOf(await loadTrainingSet(db.client, small))).toEqual(unbounded.rows);
  });
});
