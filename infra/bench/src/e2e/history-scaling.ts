// Does a periodic query cost more as history grows? Seeds a scratch database (the repository's migrations, so the
// tables are the real ones) with N events at a fixed rate, so that 10× the events is 10× the history, not 10× the
// traffic, and times the trainer's loading function and the live view's queries at each size. The old queries run
// beside them as the baseline (compareHistoryScaling), so before and after come from the same data and run.
import { randomUUID } from 'node:crypto';
import { createClickHouseClient, migrate, toClickHouseTime, type ClickHouseClient, type ClickHouseSettings } from '@telltale/clickhouse';
import { TrainingSetBuilder } from '@telltale/model';
import { createLogger } from '@telltale/runtime';
// NOTE: a tool may import a service's module (ml-context-inputs.main.ts does the enricher's); a service may not.
// What is measured is then the code the services run, not a copy of it.
import { liveViewQueries, type Query } from '../../../../packages/queries/src/live-view.queries';
import { loadTrainerConfig } from '../../../../services/trainer/src/trainer.config';
import { loadTrainingSet, trainingWindow, type TrainingWindow } from '../../../../services/trainer/src/training-data';

export interface HistoryScalingSize {
  events: number;
  sessionFeatureRows: number;
  trainerRunMs: number;
  liveViewMs: number;
}
export interface HistoryScalingResult {
  sizes: HistoryScalingSize[];
  /** largest size's time / smallest's */
  trainerRatio: number;
  liveViewRatio: number;
}

/** The new queries (after) and, when asked, the old ones (before), on the same seeded data. */
export interface HistoryScalingComparison {
  after: HistoryScalingResult;
  before?: HistoryScalingResult;
  /** Rows the trainer's function returned per size (after; before: the old query's). */
  trainerRows: Array<{ events: number; after: number; before?: number }>;
  eventsPerDay: number;
  historyDays: number[];
}

/** History grows at 1M events per 30 days: the largest default size (10M) is 300 days, the window a day. */
const EVENTS_PER_DAY = 1_000_000 / 30;
const EVENTS_PER_SESSION = 6;
const DAY_MS = 86_400_000;
/** Time between two session starts, newest first. */
const SESSION_GAP_MS = Math.round((DAY_MS * EVENTS_PER_SESSION) / EVENTS_PER_DAY);
const EVENT_GAP_MS = SESSION_GAP_MS / EVENTS_PER_SESSION;
const MODEL = 'purchase_propensity';
/** The trainer as configured by default (TRAINER_WINDOW_H, TRAINER_MAX_ROWS, …). */
const TRAINER_CONFIG = loadTrainerConfig({});
const CONSOLE_WINDOW_MIN = 15;
const RUNS = 3;

const DEFAULT_SIZES = [1_000_000, 10_000_000];

/**
 * One row per event number: event `number` is step k of session s; sessions start SESSION_GAP_MS apart going back
 * from `endMs`, so numbers [0, N) are the newest N events and a larger size only adds older history. Session ids are
 * hashes (as the enricher's UUIDs: no order in time), a session's events 20 s apart. 4 % of sessions buy at their
 * last step, 15 % more reach the cart, 2 % are crawlers (is_bot on every event).
 */
const SEED_ROWS = `
  SELECT
    number,
    intDiv(number, ${EVENTS_PER_SESSION}) AS s,
    number % ${EVENTS_PER_SESSION} AS k,
    {endMs:Int64} - 150000 - s * {sessionGapMs:Int64} AS session_start_ms,
    session_start_ms + k * 20000 + cityHash64(number, 'jitter') % 5000 AS t_ms,
    fromUnixTimestamp64Milli(toInt64(t_ms), 'UTC') AS t,
    lower(hex(cityHash64(s, 'session'))) AS session_id,
    concat('u', toString(cityHash64(s, 'user') % 500000)) AS user_key,
    lower(hex(cityHash64(number, 'message'))) AS message_id,
    cityHash64(s, 'bot') % 100 < 2 AS bot,
    NOT bot AND cityHash64(s, 'buy') % 100 < 4 AS buyer,
    NOT bot AND (buyer OR cityHash64(s, 'cart') % 100 < 15) AS carts,
    multiIf(buyer AND k = 5, 'purchase', carts AND k >= 3, 'add_to_cart', k = 2, 'search', 'page_view') AS kind
  FROM numbers({offset:UInt64}, {count:UInt64})`;

/** Every insert of one slice of history, duplicates (0.5 %, as at-least-once delivery leaves) included. */
const SEED_STATEMENTS = [
  `INSERT INTO events (message_id, type, event, kind, user_key, anonymous_id, session_id, event_time, received_at, enriched_at,
                       hour_of_day, day_of_week, page_path, product_id, category, price, quantity, revenue, properties,
                       is_bot, device_type, browser_name)
   SELECT message_id, 'track', kind, kind, user_key, user_key, session_id, t, t, t + toIntervalMillisecond(40),
          toHour(t), toDayOfWeek(t), concat('/p/', toString(s % 997)), if(kind = 'page_view', NULL, toString(s % 997)),
          ['books', 'shoes', 'garden', 'toys'][1 + s % 4], if(kind = 'page_view', NULL, 10 + s % 90), if(kind = 'purchase', 1, NULL),
          if(kind = 'purchase', 10 + s % 90, NULL), '{}', bot, if(bot, 'bot', 'desktop'), if(bot, 'Googlebot', 'Chrome')
   FROM (${SEED_ROWS})`,
  `INSERT INTO session_features (user_key, session_id, message_id, event_kind, event_time, computed_at, features)
   SELECT user_key, session_id, message_id, kind, t, t + toIntervalMillisecond(40),
          map('session_events', toFloat64(k + 1), 'session_page_views', toFloat64(k + 1 - (k >= 2) - greatest(0, k - 2) * carts),
              'session_clicks', 0., 'session_searches', toFloat64(k >= 2), 'session_add_to_carts', toFloat64(carts * greatest(0, k - 2)),
              'session_cart_value', toFloat64(carts * greatest(0, k - 2) * (10 + s % 90)), 'session_duration_s', (t_ms - session_start_ms) / 1000,
              'seconds_since_prev_event', if(k = 0, 0., 20.), 'hour_sin', sin(2 * pi() * toHour(t) / 24), 'hour_cos', cos(2 * pi() * toHour(t) / 24),
              'is_weekend', toFloat64(toDayOfWeek(t) >= 6), 'user_prior_sessions', toFloat64(s % 5), 'user_prior_purchases', 0.)
   FROM (${SEED_ROWS})`,
  `INSERT INTO predictions (user_key, session_id, message_id, model_name, model_version, probability, event_time, predicted_at, received_at)
   SELECT user_key, session_id, message_id, {model:String}, 1 + intDiv(number, 20000), (cityHash64(number, 'p') % 10000) / 10000,
          t, t + toIntervalMillisecond(150), t
   FROM (${SEED_ROWS})`,
  // The duplicates: a replayed batch's rows, not merged yet.
  `INSERT INTO session_features (user_key, session_id, message_id, event_kind, event_time, computed_at, features)
   SELECT user_key, session_id, message_id, kind, t, t + toIntervalMillisecond(90), map('session_events', toFloat64(k + 1))
   FROM (${SEED_ROWS}) WHERE number % 199 = 0`,
  `INSERT INTO events (message_id, type, event, kind, user_key, session_id, event_time, received_at, enriched_at, hour_of_day, day_of_week, properties, is_bot)
   SELECT message_id, 'track', kind, kind, user_key, session_id, t, t, t, toHour(t), toDayOfWeek(t), '{}', bot
   FROM (${SEED_ROWS}) WHERE number % 199 = 0`,
  // One dead letter per 100 events, a model run per hour of history.
  `INSERT INTO dead_letters (stage, reason, field, source_topic, source_partition, source_offset, payload_base64, failed_at)
   SELECT ['collector', 'enricher', 'sink'][1 + number % 3], ['invalid JSON', 'required for purchase events', 'too late for its session', 'unknown event type'][1 + number % 4],
          'properties.revenue', 'events.raw', toInt32(number % 6), toInt64(number), '', fromUnixTimestamp64Milli(toInt64({endMs:Int64} - number * 100 * {eventGapMs:Float64}), 'UTC')
   FROM numbers(intDiv({offset:UInt64}, 100), intDiv({count:UInt64}, 100))`,
  `INSERT INTO models (model_name, run_id, trained_at, version, promoted, decision, algorithm, feature_transform, rows, data_from, data_to,
                       holdout_from, holdout_rows, holdout_auc, test_auc)
   SELECT {model:String}, concat('run-', toString(number)), fromUnixTimestamp64Milli(toInt64({endMs:Int64} - number * 3600000), 'UTC'),
          if(number % 3 = 0, NULL, number), number % 3 != 0, 'promoted', 'logistic_newton', 'standardize', 200000,
          now64(3), now64(3), now64(3), 40000, 0.8, 0.79
   FROM numbers(toUInt64(floor({offset:UInt64} * {eventGapMs:Float64} / 3600000)), toUInt64(floor({count:UInt64} * {eventGapMs:Float64} / 3600000)))`,
];

/** Adds events [offset, offset + count) (newest first, see SEED_ROWS) and their snapshots, predictions, dead letters, models. */
async function seedHistory(client: ClickHouseClient, opts: { endMs: number; offset: number; count: number }): Promise<void> {
  for (const statement of SEED_STATEMENTS) {
    await client.command({
      query: statement,
      query_params: { model: MODEL, endMs: opts.endMs, sessionGapMs: SESSION_GAP_MS, eventGapMs: EVENT_GAP_MS, offset: opts.offset, count: opts.count },
    });
  }
}

/** The queries before this change, kept here only as the baseline. */
const OLD_TRAINING_ROWS_SQL = `
SELECT f.session_id AS session_id, f.event_kind AS event_kind, toUnixTimestamp64Milli(f.event_time) AS event_ms, f.features AS features,
  toUInt8(p.purchases > 0 AND p.first_purchase_at > f.event_time) AS label
FROM
(
  SELECT session_id, message_id, event_kind, event_time, features
  FROM session_features FINAL
  WHERE event_time <= fromUnixTimestamp64Milli({cutoffMs:Int64}, 'UTC')
    AND session_id NOT IN (SELECT session_id FROM events WHERE is_bot)
) AS f
LEFT JOIN
(
  SELECT session_id, count() AS purchases, min(event_time) AS first_purchase_at
  FROM events FINAL
  WHERE kind = 'purchase'
  GROUP BY session_id
) AS p ON p.session_id = f.session_id
WHERE p.purchases = 0 OR f.event_time < p.first_purchase_at
ORDER BY f.event_time DESC, f.message_id
LIMIT {maxRows:UInt32}`;

function oldLiveViewQueries(nowMs: number): Query[] {
  const since = (min: number) => toClickHouseTime(nowMs - min * 60_000);
  return [
    {
      query: `SELECT stage, substring(reason, 1, 120) AS reason_text, count() AS n, toUnixTimestamp64Milli(max(failed_at)) AS last_ms
              FROM dead_letters GROUP BY stage, reason_text ORDER BY n DESC, stage, reason_text LIMIT 12`,
      query_params: {},
    },
    {
      // The funnel view as migration 004 made it (FINAL).
      query: `SELECT count() AS sessions, countIf(level >= 1) AS viewed, countIf(level >= 2) AS added_to_cart, countIf(level >= 3) AS purchased
              FROM (SELECT session_id, windowFunnel(3600)(toDateTime(event_time), kind = 'page_view', kind = 'add_to_cart', kind = 'purchase') AS level
                    FROM events FINAL WHERE event_time >= {from:DateTime64(3)} AND event_time < {to:DateTime64(3)} GROUP BY session_id)`,
      query_params: { from: since(CONSOLE_WINDOW_MIN), to: toClickHouseTime(nowMs + 60_000) },
    },
    {
      query: `SELECT version, promoted, decision, toUnixTimestamp64Milli(trained_at) AS trained_ms, if(holdout_rows > 0, holdout_auc, test_auc) AS auc, rows
              FROM models FINAL WHERE model_name = {model:String} ORDER BY trained_at DESC LIMIT 60`,
      query_params: { model: MODEL },
    },
    // The score histogram and the tail were bounded by predicted_at already: unchanged.
    liveViewQueries(nowMs, CONSOLE_WINDOW_MIN, MODEL).scores,
    liveViewQueries(nowMs, CONSOLE_WINDOW_MIN, MODEL).tail,
  ];
}

/** The old trainer query, streamed into a TrainingSet the way loadTrainingSet does, so only the SQL differs. */
async function loadWithOldQuery(client: ClickHouseClient, window: TrainingWindow): Promise<number> {
  const result = await client.query({
    query: OLD_TRAINING_ROWS_SQL,
    query_params: { cutoffMs: Math.floor(window.cutoffMs), maxRows: window.maxRows },
    format: 'JSONEachRow',
  });
  const builder = new TrainingSetBuilder(Math.min(window.maxRows, 65_536));
  for await (const rows of result.stream<{ session_id: string; event_kind: string; event_ms: string; features: Record<string, number | null>; label: number }>()) {
    for (const row of rows) {
      const r = row.json();
      builder.add({ sessionId: r.session_id, eventKind: r.event_kind, eventTimeMs: Number(r.event_ms), features: r.features, label: r.label === 1 ? 1 : 0 });
    }
  }
  return builder.build().rows;
}

async function runAll(client: ClickHouseClient, queries: Query[]): Promise<void> {
  for (const q of queries) {
    const rs = await client.query({ query: q.query, query_params: q.query_params, format: 'JSONEachRow' });
    await rs.json();
  }
}

/** Best of RUNS: the machine is shared, and the least disturbed run is the closest to the query's own cost. */
async function bestOf<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  let best: { ms: number; value: T } | undefined;
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    const value = await fn();
    const ms = performance.now() - started;
    if (!best || ms < best.ms) best = { ms, value };
  }
  return best!;
}

const round = (ms: number) => Math.round(ms * 10) / 10;
const ratio = (sizes: HistoryScalingSize[], key: 'trainerRunMs' | 'liveViewMs') => {
  const first = sizes[0];
  const last = sizes.at(-1);
  return first && last && first[key] > 0 ? Math.round((last[key] / first[key]) * 100) / 100 : Number.NaN;
};
function result(sizes: HistoryScalingSize[]): HistoryScalingResult {
  return { sizes, trainerRatio: ratio(sizes, 'trainerRunMs'), liveViewRatio: ratio(sizes, 'liveViewMs') };
}

/**
 * Seeds the smallest size, measures, adds the next size's older history, measures again, and so on; drops the scratch
 * database at the end, however it ends.
 */
export async function compareHistoryScaling(opts: {
  clickhouseUrl: string;
  sizes?: number[];
  log?: (line: string) => void;
  baseline?: boolean;
}): Promise<HistoryScalingComparison> {
  const sizes = [...(opts.sizes ?? DEFAULT_SIZES)].sort((a, b) => a - b);
  const log = opts.log ?? (() => undefined);
  const settings: ClickHouseSettings = {
    url: opts.clickhouseUrl,
    user: process.env.CLICKHOUSE_USER ?? 'default',
    password: process.env.CLICKHOUSE_PASSWORD ?? '',
    database: `bench_history_${randomUUID().replace(/-/g, '').slice(0, 12)}`,
    // Seeding 10M rows in one statement takes minutes on two cores.
    requestTimeoutMs: 1_800_000,
  };
  // error: the client warns about the long request timeout on every client it makes.
  const logger = createLogger('bench-history', 'error');
  await migrate(settings, logger);
  const client = createClickHouseClient(settings, { logger });
  const endMs = Date.now();
  const after: HistoryScalingSize[] = [];
  const before: HistoryScalingSize[] = [];
  const trainerRows: HistoryScalingComparison['trainerRows'] = [];
  try {
    let seeded = 0;
    for (const events of sizes) {
      const started = performance.now();
      await seedHistory(client, { endMs, offset: seeded, count: events - seeded });
      seeded = events;
      const counted = await (await client.query({ query: 'SELECT count() AS n FROM session_features', format: 'JSONEachRow' })).json<{ n: string }>();
      const sessionFeatureRows = Number(counted[0]?.n ?? 0);
      log(`history: ${events.toLocaleString('en')} events (${Math.round(events / EVENTS_PER_DAY)} days), ${sessionFeatureRows.toLocaleString('en')} snapshots, seeded in ${Math.round((performance.now() - started) / 1000)} s`);

      // The clock of the measurement is the seed's end: the same window at every size.
      const window = trainingWindow(TRAINER_CONFIG, endMs - TRAINER_CONFIG.TRAINER_LABEL_DELAY_S * 1000);
      const trainer = await bestOf(async () => (await loadTrainingSet(client, window)).rows);
      const live = await bestOf(() => runAll(client, Object.values(liveViewQueries(endMs, CONSOLE_WINDOW_MIN, MODEL))));
      after.push({ events, sessionFeatureRows, trainerRunMs: round(trainer.ms), liveViewMs: round(live.ms) });
      const row: HistoryScalingComparison['trainerRows'][number] = { events, after: trainer.value };
      log(`  after:  trainer ${Math.round(trainer.ms)} ms (${trainer.value} rows), live view ${Math.round(live.ms)} ms`);
      if (opts.baseline) {
        const oldTrainer = await bestOf(() => loadWithOldQuery(client, window));
        const oldLive = await bestOf(() => runAll(client, oldLiveViewQueries(endMs)));
        before.push({ events, sessionFeatureRows, trainerRunMs: round(oldTrainer.ms), liveViewMs: round(oldLive.ms) });
        row.before = oldTrainer.value;
        log(`  before: trainer ${Math.round(oldTrainer.ms)} ms (${oldTrainer.value} rows), live view ${Math.round(oldLive.ms)} ms`);
      }
      trainerRows.push(row);
    }
  } finally {
    await client.command({ query: `DROP DATABASE IF EXISTS ${settings.database}` }).catch((err: unknown) => log(`could not drop ${settings.database}: ${String(err)}`));
    await client.close();
  }
  return {
    after: result(after),
    ...(opts.baseline ? { before: result(before) } : {}),
    trainerRows,
    eventsPerDay: Math.round(EVENTS_PER_DAY),
    historyDays: sizes.map((n) => Math.round(n / EVENTS_PER_DAY)),
  };
}

/** The trainer's and the live view's queries as they are now, at each size (default 1M and 10M events). */
export async function measureHistoryScaling(opts: { clickhouseUrl: string; sizes?: number[]; log?: (line: string) => void }): Promise<HistoryScalingResult> {
  return (await compareHistoryScaling(opts)).after;
}
