import type { ClickHouseClient } from '@telltale/clickhouse';
import { TrainingSetBuilder, type TrainingSet } from '@telltale/model';

/**
 * Labelled snapshots, newest first, with the kind of the event each was taken at (an input of the model).
 *
 * - A snapshot is kept only if it is older than the cutoff (label delay) and, in a session that purchased,
 *   strictly before its first purchase: what happens after the purchase is not what we predict, and the purchase
 *   event's own snapshot would leak the answer (session_events already counts it).
 * - label = 1 when the session has a purchase after the snapshot's event_time.
 * - FINAL collapses the duplicate rows that at-least-once delivery leaves until ClickHouse merges them.
 * - Sessions with an event from a bot or crawler (events.is_bot, README "Enrichments") are left out: crawlers never
 *   buy, and their sessions would teach the model that browsing without buying is what visitors do. Their events stay
 *   in ClickHouse, flagged, for analytics.
 * - The newest maxRows rows: a run's cost is bounded however long the pipeline has run.
 * - Values only travel as query parameters; the SQL text is constant.
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
LIMIT {maxRows:UInt32}
`;

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
export async function loadTrainingSet(client: ClickHouseClient, opts: { cutoffMs: number; maxRows: number }): Promise<TrainingSet> {
  const result = await client.query({
    query: TRAINING_ROWS_SQL,
    query_params: { cutoffMs: Math.floor(opts.cutoffMs), maxRows: opts.maxRows },
    format: 'JSONEachRow',
  });
  const builder = new TrainingSetBuilder(Math.min(opts.maxRows, 65_536));
  for await (const rows of result.stream<RawRow>()) {
    for (const row of rows) {
      const r = row.json();
      builder.add({ sessionId: r.session_id, eventKind: r.event_kind, eventTimeMs: Number(r.event_ms), features: r.features, label: r.label === 1 ? 1 : 0 });
    }
  }
  return builder.build();
}
