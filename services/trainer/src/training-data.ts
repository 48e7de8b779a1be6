import type { ClickHouseClient } from '@telltale/clickhouse';
import { TrainingSetBuilder, type TrainingSet } from '@telltale/model';
import type { TrainerConfig } from './trainer.config';

/**
 * Labelled snapshots, newest first, with the kind of the event each was taken at (an input of the model).
 *
 * - A snapshot is kept only if it is older than the cutoff (label delay), no older than the training window, and, in
 *   a session that purchased, strictly before its first purchase: what happens after the purchase is not what we
 *   predict, and the purchase event's own snapshot would leak the answer (session_events already counts it).
 * - label = 1 when the session has a purchase after the snapshot's event_time.
 * - Sessions with an event from a bot or crawler (events.is_bot, README "Enrichments") are left out: crawlers never
 *   buy, and their sessions would teach the model that browsing without buying is what visitors do. Their events stay
 *   in ClickHouse, flagged, for analytics.
 * - The newest maxRows rows of the window.
 * - Values only travel as query parameters; the SQL text is constant.
 *
 * What one run reads does not grow with history (README "Model"): every table is filtered on event_time, the column
 * its PARTITION BY (toYYYYMM) is built on, so ClickHouse skips every partition and every part whose min/max
 * event_time lies outside the window (the sorting keys start with session_id / user_key, so within a part nothing
 * finer applies). Parts are written and merged in arrival order, so a part's time range is narrow and the parts left
 * are about the window's; at worst (a month bulk-loaded at once) the current month's. session_features is read over
 * [from, cutoff]; the bot and purchase lookups over [sessionsFrom, now]: the window plus the slack for sessions that
 * began before it (a purchase after the cutoff still labels a snapshot).
 * TRICKY: a session that began more than the slack before the window and bought before the window starts would keep
 * its after-purchase snapshots at the window's old edge; the slack (a session timeout by default) makes that rare.
 *
 * De-duplication, chosen by cost:
 * - session_features: FINAL, restricted by the WHERE on event_time (a sorting-key column, so duplicates, which
 *   share it, are in or out together). ClickHouse merges only the parts left after pruning, in sorted streams; an
 *   aggregate by message_id would instead carry every column, the Map too, through a hash table.
 * - events: no FINAL. A duplicated row changes neither "some purchase" (count > 0) nor min(event_time), nor whether
 *   a session has a bot event, so merging the purchases at read time would buy nothing.
 * TRICKY: `purchases` is 0 for sessions without a match, not NULL (ClickHouse LEFT JOIN fills in defaults unless
 * join_use_nulls), so the filter tests the count rather than IS NULL.
 */
export const TRAINING_ROWS_SQL = `
SELECT
  f.session_id AS session_id,
  f.event_kind AS event_kind,
  toUnixTimestamp64Milli(f.event_time) AS event_ms,
  f.features AS features,
  toUInt8(p.purchases > 0 AND p.first_purchase_at > f.event_time) AS label
FROM
(
  SELECT session_id, message_id, event_kind, event_time, features
  FROM session_features FINAL
  WHERE event_time >= fromUnixTimestamp64Milli({fromMs:Int64}, 'UTC')
    AND event_time <= fromUnixTimestamp64Milli({cutoffMs:Int64}, 'UTC')
    AND session_id NOT IN (
      SELECT session_id FROM events
      WHERE event_time >= fromUnixTimestamp64Milli({sessionsFromMs:Int64}, 'UTC') AND is_bot
    )
) AS f
LEFT JOIN
(
  SELECT session_id, count() AS purchases, min(event_time) AS first_purchase_at
  FROM events
  WHERE event_time >= fromUnixTimestamp64Milli({sessionsFromMs:Int64}, 'UTC') AND kind = 'purchase'
  GROUP BY session_id
) AS p ON p.session_id = f.session_id
WHERE p.purchases = 0 OR f.event_time < p.first_purchase_at
ORDER BY f.event_time DESC, f.message_id
LIMIT {maxRows:UInt32}
`;

export interface TrainingWindow {
  /** Newest snapshot time labelled (now − label delay). */
  cutoffMs: number;
  /** How far back from the cutoff snapshots are read. */
  windowMs: number;
  /** How far before the window a session's purchases and bot flags are looked for (sessions that began earlier). */
  sessionSlackMs: number;
  maxRows: number;
}

/** A run's window from the trainer's config. */
export function trainingWindow(
  config: Pick<TrainerConfig, 'TRAINER_WINDOW_H' | 'TRAINER_SESSION_SLACK_S' | 'TRAINER_MAX_ROWS'>,
  cutoffMs: number,
): TrainingWindow {
  return { cutoffMs, windowMs: config.TRAINER_WINDOW_H * 3600_000, sessionSlackMs: config.TRAINER_SESSION_SLACK_S * 1000, maxRows: config.TRAINER_MAX_ROWS };
}

/** The query parameters of TRAINING_ROWS_SQL for one run. */
export function trainingRowsParams(w: TrainingWindow): { fromMs: number; cutoffMs: number; sessionsFromMs: number; maxRows: number } {
  const cutoffMs = Math.floor(w.cutoffMs);
  const fromMs = cutoffMs - Math.max(0, Math.floor(w.windowMs));
  return { fromMs, cutoffMs, sessionsFromMs: fromMs - Math.max(0, Math.floor(w.sessionSlackMs)), maxRows: w.maxRows };
}

interface RawRow {
  session_id: string;
  event_kind: string;
  /** Int64: a string in ClickHouse's JSON. */
  event_ms: string | number;
  /** Map(LowCardinality(String), Float64) as JSON; NaN/Inf arrive as null. */
  features: Record<string, number | null>;
  label: number;
}

/**
 * Streams the rows into a columnar TrainingSet: a million rows never exist as a million objects (nor as one JSON
 * text, which would exceed V8's string limit).
 */
export async function loadTrainingSet(client: ClickHouseClient, opts: TrainingWindow): Promise<TrainingSet> {
  const result = await client.query({ query: TRAINING_ROWS_SQL, query_params: trainingRowsParams(opts), format: 'JSONEachRow' });
  const builder = new TrainingSetBuilder(Math.min(opts.maxRows, 65_536));
  for await (const rows of result.stream<RawRow>()) {
    for (const row of rows) {
      const r = row.json();
      builder.add({ sessionId: r.session_id, eventKind: r.event_kind, eventTimeMs: Number(r.event_ms), features: r.features, label: r.label === 1 ? 1 : 0 });
    }
  }
  return builder.build();
}
