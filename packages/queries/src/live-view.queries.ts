import { toClickHouseTime } from '@telltale/clickhouse';
import { decodeExplanationHeader } from '@telltale/contracts';
import { funnelQuery, type Query } from './analytics.queries';
import { funnelParams } from './query-params';

export type { Query };

// What the live view asks ClickHouse, and how the answers become the page's numbers. Pure: the SQL and its parameters
// from the config and the clock, and the rows (as JSONEachRow gives them: 64-bit integers arrive as strings) into
// plain numbers. Every value reaches the SQL as a query parameter, never spliced into the text.
//
// These run every refresh (2 s), so none may cost more as history grows (README "Live view"): each is bounded by a
// time window on the column its table is partitioned by (toYYYYMM of it), which lets ClickHouse skip every
// partition and every part whose min/max time lies outside, and by a primary-key prefix where the sorting key
// allows one. Each says below which bounds it gets.

/** Number of buckets of the score histogram (0.05 wide). */
export const SCORE_BUCKETS = 20;
/** Rows of the live tail. */
export const TAIL_ROWS = 15;
/** Dead-letter groups shown, most frequent first. */
export const DEAD_LETTER_GROUPS = 12;
/** Model runs on the AUC chart, newest last. */
export const MODEL_RUNS = 60;
/**
 * How far back the AUC chart looks for those runs: at the trainer's default interval (30 s) the newest 60 are the
 * last half hour; a week also shows an hourly trainer's. A trainer idle for longer leaves the chart empty.
 */
export const MODEL_RUNS_WINDOW_H = 7 * 24;
/** Dead letters counted: the last day (the table keeps 30 days; the page is about what goes wrong now). */
export const DEAD_LETTER_WINDOW_H = 24;

/** The live view's funnel: the purchase funnel, each step within an hour of the first (the original request's). */
export const LIVE_FUNNEL_STEPS = ['page_view', 'add_to_cart', 'purchase'];

/**
 * The funnel over the events of the last `windowMin` minutes: the analytics funnel (analytics.queries.ts), so its SQL is
 * written once for the API, the CLI and this page. NOTE: the upper bound is a minute ahead of now: event times are the
 * senders' clocks, and a browser a few seconds fast must not drop out of the window.
 * Bounds: events filtered on event_time (partition and part pruning; the sorting key starts with user_key, so no key
 * prefix), without FINAL (a session is one row of the GROUP BY however many copies its events have).
 */
export function liveFunnelQuery(nowMs: number, windowMin: number): Query {
  return funnelQuery(funnelParams.parse({ from: nowMs - windowMin * 60_000, to: nowMs + 60_000, steps: LIVE_FUNNEL_STEPS, window: 3600 }));
}

/**
 * The newest runs of the model (of the last MODEL_RUNS_WINDOW_H), promoted or not, with the AUC each measured: holdout
 * when there was one, else test. Bounds: model_name is the sorting key's prefix (model_name, run_id) and trained_at
 * the partition column, so FINAL merges only the model's granules in the window's parts.
 */
export function modelsQuery(modelName: string, nowMs: number): Query {
  return {
    query: `SELECT version, promoted, decision, toUnixTimestamp64Milli(trained_at) AS trained_ms,
                   if(holdout_rows > 0, holdout_auc, test_auc) AS auc, rows
            FROM models FINAL
            WHERE model_name = {model:String} AND trained_at >= {since:DateTime64(3)}
            ORDER BY trained_at DESC
            LIMIT {limit:UInt32}`,
    query_params: { model: modelName, since: toClickHouseTime(nowMs - MODEL_RUNS_WINDOW_H * 3600_000), limit: MODEL_RUNS },
  };
}

/**
 * Live scores of the last `windowMin` minutes in SCORE_BUCKETS buckets. No FINAL: a prediction written twice (a
 * retried insert not yet merged) counts twice in a histogram of thousands, and FINAL would cost a merge per refresh.
 * Bounds: predicted_at is the partition column (part pruning); the sorting key starts with user_key, so no key prefix.
 */
export function scoreHistogramQuery(nowMs: number, windowMin: number, modelName: string): Query {
  return {
    query: `SELECT least(toUInt32(floor(probability * {buckets:UInt32})), {buckets:UInt32} - 1) AS bucket, count() AS n
            FROM predictions
            WHERE predicted_at >= {since:DateTime64(3)} AND model_name = {model:String}
            GROUP BY bucket
            ORDER BY bucket`,
    query_params: { buckets: SCORE_BUCKETS, since: toClickHouseTime(nowMs - windowMin * 60_000), model: modelName },
  };
}

/**
 * The newest predictions (of the last 10 minutes, so the scan stays small), newest first. Bounds: as the histogram's,
 * predicted_at for partition and part pruning.
 */
export function predictionTailQuery(nowMs: number): Query {
  return {
    query: `SELECT user_key, session_id, model_version, probability, explanation,
                   toUnixTimestamp64Milli(event_time) AS event_ms, toUnixTimestamp64Milli(predicted_at) AS predicted_ms
            FROM predictions
            WHERE predicted_at >= {since:DateTime64(3)}
            ORDER BY predicted_at DESC
            LIMIT {limit:UInt32}`,
    query_params: { since: toClickHouseTime(nowMs - 10 * 60_000), limit: TAIL_ROWS },
  };
}

/**
 * Dead letters of the last DEAD_LETTER_WINDOW_H by stage and reason (the reason's first 120 characters: details after
 * that split groups apart). Bounds: failed_at is the partition column and second in the sorting key (stage,
 * failed_at); stage has a handful of values, so ClickHouse's key analysis also skips granules by failed_at.
 */
export function deadLettersQuery(nowMs: number): Query {
  return {
    query: `SELECT stage, substring(reason, 1, 120) AS reason_text, count() AS n, toUnixTimestamp64Milli(max(failed_at)) AS last_ms
            FROM dead_letters
            WHERE failed_at >= {since:DateTime64(3)}
            GROUP BY stage, reason_text
            ORDER BY n DESC, stage, reason_text
            LIMIT {limit:UInt32}`,
    query_params: { since: toClickHouseTime(nowMs - DEAD_LETTER_WINDOW_H * 3600_000), limit: DEAD_LETTER_GROUPS },
  };
}

/** Every query of one refresh, by the name the page's sources go by. */
export function liveViewQueries(nowMs: number, windowMin: number, modelName: string): Record<'dead letters' | 'funnel' | 'models' | 'scores' | 'tail', Query> {
  return {
    'dead letters': deadLettersQuery(nowMs),
    funnel: liveFunnelQuery(nowMs, windowMin),
    models: modelsQuery(modelName, nowMs),
    scores: scoreHistogramQuery(nowMs, windowMin, modelName),
    tail: predictionTailQuery(nowMs),
  };
}

type Row = Record<string, unknown>;

/** A number from a JSON cell: UInt64 comes as a string, NaN/inf as null. */
function num(value: unknown): number | null {
  if (value === null || value === undefined || value === '') return null;
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) ? n : null;
}

export interface Funnel {
  sessions: number;
  viewed: number;
  addedToCart: number;
  purchased: number;
  pView: number;
  pCartGivenView: number;
  pPurchaseGivenCart: number;
  pPurchase: number;
}

/** undefined when no session fell in the window (the ratios would be 0/0). The funnel query's one row (no dimension). */
export function toFunnel(rows: Row[]): Funnel | undefined {
  const row = rows[0];
  const sessions = num(row?.sessions) ?? 0;
  if (!row || sessions === 0) return undefined;
  const [viewed = 0, addedToCart = 0, purchased = 0] = Array.isArray(row.reached) ? row.reached.map((x) => num(x) ?? 0) : [];
  const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);
  const pView = ratio(viewed, sessions);
  const pCartGivenView = ratio(addedToCart, viewed);
  const pPurchaseGivenCart = ratio(purchased, addedToCart);
  return { sessions, viewed, addedToCart, purchased, pView, pCartGivenView, pPurchaseGivenCart, pPurchase: pView * pCartGivenView * pPurchaseGivenCart };
}

export interface ModelRun {
  /** null: not promoted, never published. */
  version: number | null;
  promoted: boolean;
  decision: string;
  trainedMs: number;
  /** null when it could not be measured (one class only in the holdout). */
  auc: number | null;
  rows: number;
}

/** Oldest first, for a chart over time. */
export function toModelRuns(rows: Row[]): ModelRun[] {
  return rows
    .map((r) => ({
      version: num(r.version),
      promoted: r.promoted === true || r.promoted === 1 || r.promoted === 'true',
      decision: String(r.decision ?? ''),
      trainedMs: num(r.trained_ms) ?? 0,
      auc: num(r.auc),
      rows: num(r.rows) ?? 0,
    }))
    .sort((a, b) => a.trainedMs - b.trainedMs);
}

/** Counts per bucket, every bucket present (0 when no score fell in it); out-of-range buckets are ignored. */
export function toScoreHistogram(rows: Row[]): number[] {
  const counts = new Array<number>(SCORE_BUCKETS).fill(0);
  for (const r of rows) {
    const bucket = num(r.bucket);
    const n = num(r.n);
    if (bucket === null || n === null || !Number.isInteger(bucket) || bucket < 0 || bucket >= SCORE_BUCKETS) continue;
    counts[bucket] = n;
  }
  return counts;
}

export interface TailPrediction {
  userKey: string;
  sessionId: string;
  modelVersion: number;
  probability: number;
  eventMs: number;
  predictedMs: number;
  /** The inputs that moved it most, with sign (the scorer's explanation); empty for predictions from before them. */
  why: Array<{ input: string; contribution: number }>;
}

export function toTail(rows: Row[]): TailPrediction[] {
  return rows.map((r) => ({
    userKey: String(r.user_key ?? ''),
    sessionId: String(r.session_id ?? ''),
    modelVersion: num(r.model_version) ?? 0,
    probability: num(r.probability) ?? 0,
    eventMs: num(r.event_ms) ?? 0,
    predictedMs: num(r.predicted_ms) ?? 0,
    why: (decodeExplanationHeader(typeof r.explanation === 'string' && r.explanation !== '' ? r.explanation : null)?.top ?? []).map((c) => ({ input: c.input, contribution: c.contribution })),
  }));
}

export interface DeadLetterGroup {
  stage: string;
  reason: string;
  count: number;
  lastMs: number;
}

export function toDeadLetters(rows: Row[]): DeadLetterGroup[] {
  return rows.map((r) => ({ stage: String(r.stage ?? ''), reason: String(r.reason_text ?? ''), count: num(r.n) ?? 0, lastMs: num(r.last_ms) ?? 0 }));
}
