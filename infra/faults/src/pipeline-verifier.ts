import type { ClickHouseClient } from '@telltale/clickhouse';
import { sleep } from './stack-processes';

/** The tables an acknowledged event must reach: its row, and (once a model is live) its prediction. */
export type CheckedTable = 'events' | 'predictions';

export interface EventCounts {
  /** count(): duplicates from at-least-once delivery included, until ClickHouse merges them. */
  rows: number;
  /** count() FINAL: what the ReplacingMergeTree collapses to. */
  rowsFinal: number;
  /** uniqExact(message_id). */
  uniqueIds: number;
}

export interface Arrival {
  /** Acknowledged ids with no row at the end of the wait; null when ClickHouse could not be asked. */
  missingEvents: string[] | null;
  /** Likewise for predictions (empty when they were not checked). */
  missingPredictions: string[] | null;
  /** When the last of them became queryable; null when some never did. */
  completeAt: number | null;
  /** A query that failed on the last try (ClickHouse down at the deadline), for the report. */
  lastError?: string;
}

// NOTE: every query is restricted to one run's messageId prefix, so the stack may hold other runs' rows (the
// warm-up's, an earlier scenario's) and each scenario still counts exactly its own. Values travel as query
// parameters; only the table name (one of two constants) is part of the SQL text.
const RUN_ROWS = 'startsWith(message_id, {prefix:String})';

/** Reads what the pipeline stored, through @telltale/clickhouse, at the stack's ClickHouse URL. */
export class PipelineVerifier {
  constructor(private readonly client: ClickHouseClient) {}

  async eventCounts(prefix: string): Promise<EventCounts> {
    const result = await this.client.query({
      query: `SELECT
        (SELECT count() FROM events WHERE ${RUN_ROWS}) AS rows,
        (SELECT count() FROM events FINAL WHERE ${RUN_ROWS}) AS rows_final,
        (SELECT uniqExact(message_id) FROM events WHERE ${RUN_ROWS}) AS unique_ids`,
      query_params: { prefix },
      format: 'JSONEachRow',
    });
    const [row] = await result.json<{ rows: string | number; rows_final: string | number; unique_ids: string | number }>();
    return { rows: Number(row?.rows ?? 0), rowsFinal: Number(row?.rows_final ?? 0), uniqueIds: Number(row?.unique_ids ?? 0) };
  }

  async uniqueIds(table: CheckedTable, prefix: string): Promise<number> {
    const result = await this.client.query({
      query: `SELECT uniqExact(message_id) AS n FROM ${table} WHERE ${RUN_ROWS}`,
      query_params: { prefix },
      format: 'JSONEachRow',
    });
    const [row] = await result.json<{ n: string | number }>();
    return Number(row?.n ?? 0);
  }

  /** The ids of `expected` that `table` does not hold. */
  async missingFrom(table: CheckedTable, prefix: string, expected: ReadonlySet<string>): Promise<string[]> {
    const result = await this.client.query({
      query: `SELECT DISTINCT message_id FROM ${table} WHERE ${RUN_ROWS}`,
      query_params: { prefix },
      format: 'JSONCompactEachRow',
    });
    const found = new Set((await result.json<[string]>()).map(([id]) => id));
    return [...expected].filter((id) => !found.has(id));
  }

  /**
   * Polls until every expected id has a row in `events` (and a prediction, when asked), or the deadline passes.
   * The cheap uniqExact count gates the exact (id by id) comparison, which only runs once the count could be complete.
   */
  async waitForArrival(prefix: string, expected: ReadonlySet<string>, opts: { timeoutMs: number; predictions: boolean }): Promise<Arrival> {
    const deadline = Date.now() + opts.timeoutMs;
    const tables: CheckedTable[] = opts.predictions ? ['events', 'predictions'] : ['events'];
    const missing = new Map<CheckedTable, string[] | undefined>(tables.map((t) => [t, undefined]));
    let lastError: string | undefined;
    for (;;) {
      const finalTry = Date.now() > deadline;
      try {
        for (const table of tables) {
          if (missing.get(table)?.length === 0) continue;
          if (finalTry || (await this.uniqueIds(table, prefix)) >= expected.size) missing.set(table, await this.missingFrom(table, prefix, expected));
        }
        lastError = undefined;
      } catch (err) {
        lastError = (err as Error).message;
      }
      const complete = tables.every((t) => missing.get(t)?.length === 0);
      if (complete || finalTry) {
        return {
          missingEvents: missing.get('events') ?? null,
          missingPredictions: opts.predictions ? (missing.get('predictions') ?? null) : [],
          completeAt: complete ? Date.now() : null,
          lastError,
        };
      }
      await sleep(1_000);
    }
  }
}
