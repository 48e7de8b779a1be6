// `pnpm bench queries`: every analytics query of @telltale/queries timed at 1M and 10M events of history (issue 17,
// section 3's measurement). Events arrive at a fixed daily rate, so the
// larger size is a longer history, not more traffic in a query's window. Its own embedded ClickHouse (port 8123+26000)
// unless CLICKHOUSE_URL is set; a scratch database, generated inside ClickHouse (INSERT … SELECT FROM numbers()).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createClickHouseClient, migrate, toClickHouseTime, type ClickHouseClient } from '@telltale/clickhouse';
import { REPO_ROOT } from '@telltale/local-stack';
import { ensureClickHouse } from '@telltale/local-stack/src/infrastructure';
// NOTE: by path, as history-scaling.ts imports the live view's queries: what is measured is the code the API runs.
import { Analytics } from '../../../packages/queries/src';
import { createLogger } from '@telltale/runtime';

const RESULTS_DIR = path.join(REPO_ROOT, 'bench', 'results');
const PORT = 8123 + 26_000;
const DATA_DIR = path.join(REPO_ROOT, '.local', 'bench', 'query-chdb');
const EVENTS_PER_DAY = 33_333;
const DAY = 86_400_000;
const log = (line: string) => console.log(`[queries ${new Date().toISOString().slice(11, 19)}] ${line}`);

/**
 * `count` synthetic events ending at `endMs`, `EVENTS_PER_DAY` a day: sessions of 10 events (views, a click, a search,
 * a cart in a third of them, a purchase in a ninth), 4 sessions per visitor, device, page, referrer and campaign varied.
 */
async function seed(client: ClickHouseClient, endMs: number, count: number): Promise<void> {
  const step = DAY / EVENTS_PER_DAY;
  for (let from = 0; from < count; from += 1_000_000) {
    const n = Math.min(1_000_000, count - from);
    await client.command({
      query: `INSERT INTO events (message_id, type, event, kind, user_key, user_id, anonymous_id, session_id, event_time, received_at,
                                  enriched_at, hour_of_day, day_of_week, page_path, properties, source, device_type, referrer_class, referrer_host, utm_campaign)
              SELECT concat('m', toString(i)) AS message_id,
                     if(pos < 6, 'page', 'track') AS type,
                     multiIf(pos < 6, 'page', pos = 6, 'Product Clicked', pos = 7, 'Products Searched', pos = 8 AND s % 3 = 0, 'Product Added', pos = 9 AND s % 9 = 0, 'Order Completed', 'Other') AS event,
                     multiIf(pos < 6, 'page_view', pos = 6, 'click', pos = 7, 'search', pos = 8 AND s % 3 = 0, 'add_to_cart', pos = 9 AND s % 9 = 0, 'purchase', 'other') AS kind,
                     concat('u', toString(intDiv(s, 4))) AS user_key, user_key AS user_id, NULL AS anonymous_id, concat('s', toString(s)) AS session_id,
                     toDateTime64({end:DateTime64(3)}, 3, 'UTC') - toIntervalMillisecond(toInt64(({count:UInt64} - i) * {step:Float64})) AS event_time,
                     event_time AS received_at, event_time AS enriched_at, toHour(event_time) AS hour_of_day, toDayOfWeek(event_time) AS day_of_week,
                     if(pos < 6, concat('/p', toString(i % 50)), NULL) AS page_path, '{}' AS properties, 'web' AS source,
                     ['mobile', 'desktop', 'tablet'][s % 3 + 1] AS device_type,
                     if(pos = 0, ['search', 'social', 'direct'][s % 3 + 1], NULL) AS referrer_class,
                     if(pos = 0 AND s % 3 != 2, ['google.com', 'facebook.com'][s % 3 + 1], NULL) AS referrer_host,
                     if(pos = 0 AND s % 5 = 0, concat('c', toString(s % 7)), NULL) AS utm_campaign
              FROM (SELECT number + {offset:UInt64} AS i, intDiv(i, 10) AS s, i % 10 AS pos FROM numbers({n:UInt64}))`,
      query_params: { end: toClickHouseTime(endMs), count, step, offset: from, n },
      clickhouse_settings: { wait_end_of_query: 1 },
    });
  }
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  // Best of 3: the first run also warms ClickHouse's caches.
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    await fn();
    best = Math.min(best, performance.now() - t0);
  }
  return Math.round(best * 10) / 10;
}

export interface QueryScalingResult {
  at: string;
  clickhouse: string;
  eventsPerDay: number;
  sizes: Array<{ events: number; ms: Record<string, number> }>;
  /** Per query: time at the largest size / time at the smallest. */
  ratios: Record<string, number>;
}

export async function benchQueryScaling(): Promise<QueryScalingResult> {
  const sizes = (process.env.BENCH_QUERY_SIZES ?? '1000000,10000000').split(',').map(Number);
  let url = process.env.CLICKHOUSE_URL;
  let stop = async () => undefined as void;
  if (!url) {
    rmSync(DATA_DIR, { recursive: true, force: true });
    const local = await ensureClickHouse({ port: PORT, dataDir: DATA_DIR, logFile: path.join(REPO_ROOT, '.local', 'bench', 'query-chdb.log') });
    url = local.url;
    stop = async () => {
      await local.stop();
      rmSync(DATA_DIR, { recursive: true, force: true });
    };
  }
  const logger = createLogger('bench', 'warn');
  const endMs = Date.UTC(2026, 0, 1);
  const w = (days: number) => ({ from: endMs - days * DAY, to: endMs });
  try {
    const version = (await (await fetch(`${url}/?query=SELECT%20version()`)).text()).trim();
    const result: QueryScalingResult = { at: new Date().toISOString(), clickhouse: `ClickHouse ${version}`, eventsPerDay: EVENTS_PER_DAY, sizes: [], ratios: {} };
    for (const events of sizes) {
      const settings = { url, user: 'default', password: '', database: `bench_queries_${events}`, requestTimeoutMs: 30_000 };
      await migrate(settings, logger);
      const writer = createClickHouseClient(settings);
      const reader = createClickHouseClient(settings, { readOnly: 'setting' });
      try {
        const t0 = Date.now();
        await seed(writer, endMs, events);
        log(`${events.toLocaleString('en')} events (${Math.round(events / EVENTS_PER_DAY)} days) seeded in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        const a = new Analytics(reader);
        // A visitor of the last day, as someone would look one up.
        const person = `u${Math.floor((events - 5_000) / 40)}`;
        const ms: Record<string, number> = {
          'funnel (7 days)': await timed(() => a.funnel(w(7))),
          'funnel by device (7 days)': await timed(() => a.funnel({ ...w(7), by: 'device_type' })),
          'retention (8 weeks, weekly)': await timed(() => a.retention({ ...w(56), unit: 'week', periods: 8 })),
          'active per day (30 days)': await timed(() => a.active(w(30))),
          'top events (7 days)': await timed(() => a.top({ ...w(7), subject: 'events' })),
          'top pages (7 days)': await timed(() => a.top({ ...w(7), subject: 'pages' })),
          'top referrers (7 days)': await timed(() => a.top({ ...w(7), subject: 'referrers' })),
          'top campaigns (7 days)': await timed(() => a.top({ ...w(7), subject: 'campaigns' })),
          person: await timed(async () => {
            if (!(await a.person({ id: person }))) throw new Error(`no person ${person}`);
          }),
          'calibration (7 days)': await timed(() => a.calibration(w(7))),
        };
        for (const [q, t] of Object.entries(ms)) log(`  ${q}: ${t} ms`);
        result.sizes.push({ events, ms });
      } finally {
        await writer.command({ query: `DROP DATABASE IF EXISTS ${settings.database}` }).catch(() => undefined);
        await writer.close();
        await reader.close();
      }
    }
    const first = result.sizes[0]!;
    const last = result.sizes[result.sizes.length - 1]!;
    for (const q of Object.keys(first.ms)) result.ratios[q] = Math.round((last.ms[q]! / first.ms[q]!) * 100) / 100;
    mkdirSync(RESULTS_DIR, { recursive: true });
    writeFileSync(path.join(RESULTS_DIR, 'query-scaling.json'), `${JSON.stringify(result, null, 2)}\n`);
    writeFileSync(path.join(RESULTS_DIR, 'query-scaling.md'), renderMarkdown(result));
    return result;
  } finally {
    await stop();
  }
}

export function renderMarkdown(r: QueryScalingResult): string {
  const n = (x: number) => x.toLocaleString('en');
  const first = r.sizes[0]!;
  const last = r.sizes[r.sizes.length - 1]!;
  return [
    '# The analytics queries as history grows (`pnpm bench queries`)',
    '',
    `${r.at}, ${r.clickhouse} (embedded chDB unless CLICKHOUSE_URL was set), 2 shared cores.`,
    '',
    `Synthetic events at ${n(r.eventsPerDay)} a day, so ${n(last.events)} events are ${Math.round(last.events / r.eventsPerDay)} days of history`,
    `and ${n(first.events)} are ${Math.round(first.events / r.eventsPerDay)}: a larger size is a longer history, not more traffic in a window. Each query`,
    'through @telltale/queries (what the API and the CLI run), best of 3. Retention reads first-seen times from',
    'user_first_seen (migration 013, a materialized view kept as events arrive); every other query is bounded by its',
    'time window on the partition column, or, for a person, by the sorting key (user_key).',
    'Issue 17\'s targets: ≤ 1 s at 10M events, and ≤ 3× its time at 1M.',
    '',
    `| query | ${r.sizes.map((s) => `${n(s.events)} events`).join(' | ')} | largest / smallest | targets |`,
    `| --- | ${r.sizes.map(() => '---').join(' | ')} | --- | --- |`,
    ...Object.keys(first.ms).map((q) => {
      const ok = last.ms[q]! <= 1000 && r.ratios[q]! <= 3;
      return `| ${q} | ${r.sizes.map((s) => `${n(s.ms[q]!)} ms`).join(' | ')} | ${r.ratios[q]}× | ${ok ? 'met' : 'not met'} |`;
    }),
    '',
    'Calibration\'s predictions table is empty here (only its events side is measured).',
    '',
  ].join('\n');
}
