import type { ClickHouseClient } from '@telltale/clickhouse';

/** One session_features snapshot with its label. */
export interface TrainingRow {
  sessionId: string;
  messageId: string;
  features: Record<string, number>;
  label: 0 | 1;
}

/**
 * Labelled snapshots, newest first.
 *
 * - A snapshot is kept only if it is older than the cutoff (label delay) and, in a session that purchased,
 *   strictly before its first purchase: what happens after the purchase is not what we predict, and the purchase
 *   event's own snapshot would leak the answer (session_events already counts it).
 * - label = 1 when the session has a purchase after the snapshot's event_time.
 * - FINAL collapses the duplicate rows that at-least-once delivery leaves until ClickHouse merges them.
 * - Values only travel as query parameters; the SQL text is constant.
 * TRICKY: `purchases` is 0 for sessions without a match, not NULL (ClickHouse LEFT JOIN fills in defaults unless
 * join_use_nulls), so the filter tests the count rather than IS NULL.
 */
export const TRAINING_ROWS_SQL = `
SELECT
  f.session_id AS session_id,
  f.message_id AS message_id,
  f.features AS features,
  toUInt8(p.purchases > 0 AND p.first_purchase_at > f.event_time) AS label
FROM
(
  SELECT session_id, message_id, event_time, features
  FROM session_features FINAL
  WHERE event_time <= fromUnixTimestamp64Milli({cutoffMs:Int64}, 'UTC')
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
  message_id: string;
  /** Map(LowCardinality(String), Float64) as JSON; NaN/Inf arrive as null. */
  features: Record<string, number | null>;
  label: number;
}

export async function loadTrainingRows(
  client: ClickHouseClient,
  opts: { cutoffMs: number; maxRows: number },
): Promise<TrainingRow[]> {
  const result = await client.query({
    query: TRAINING_ROWS_SQL,
    query_params: { cutoffMs: Math.floor(opts.cutoffMs), maxRows: opts.maxRows },
    format: 'JSONEachRow',
  });
  const raw = await result.json<RawRow>();
  return raw.map((r) => ({
    sessionId: r.session_id,
    messageId: r.message_id,
    features: withoutNulls(r.features),
    label: r.label === 1 ? 1 : 0,
  }));
}

function withoutNulls(features: Record<string, number | null>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, value] of Object.entries(features)) if (typeof value === 'number') out[name] = value;
  return out;
}
