import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '@telltale/local-stack';
import { ensureClickHouse } from '@telltale/local-stack/src/infrastructure';
import { compareHistoryScaling, type HistoryScalingComparison, type HistoryScalingResult } from './e2e/history-scaling';

const RESULTS_DIR = path.join(REPO_ROOT, 'bench', 'results');
/** Its own embedded ClickHouse when CLICKHOUSE_URL is not set: a port and data directory no stack or test uses. */
const PORT = 8123 + 24_000;
const DATA_DIR = path.join(REPO_ROOT, '.local', 'bench', 'history-chdb');

function log(line: string): void {
  console.log(line);
}

const n = (x: number) => x.toLocaleString('en');

function renderMarkdown(c: HistoryScalingComparison, meta: { at: string; clickhouse: string }): string {
  const before = c.before as HistoryScalingResult;
  const lines = [
    '# History scaling: the periodic queries at 1M and 10M events (`pnpm bench history`)',
    '',
    `${meta.at}, ${meta.clickhouse}.`,
    '',
    `Events arrive at a fixed rate (${n(c.eventsPerDay)} a day), so a larger size is a longer history, not more traffic in`,
    'the window. Best of 3 runs each; "before" is the queries as they were (unbounded), "after"',
    'the ones the trainer and the live view run now, on the same data in the same run. Trainer: `loadTrainingSet` (query and',
    'streaming into columns, TRAINER_WINDOW_H 24, TRAINER_MAX_ROWS 200,000); live view: its five queries in sequence.',
    '',
    '| events | history | snapshots | trainer before | trainer after | rows before / after | live view before | live view after |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...c.after.sizes.map((a, i) => {
      const b = before.sizes[i]!;
      const rows = c.trainerRows[i]!;
      return `| ${n(a.events)} | ${c.historyDays[i]} days | ${n(a.sessionFeatureRows)} | ${n(b.trainerRunMs)} ms | ${n(a.trainerRunMs)} ms | ${n(rows.before ?? 0)} / ${n(rows.after)} | ${n(b.liveViewMs)} ms | ${n(a.liveViewMs)} ms |`;
    }),
    `| **largest / smallest** | | | **${before.trainerRatio}×** | **${c.after.trainerRatio}×** | | **${before.liveViewRatio}×** | **${c.after.liveViewRatio}×** |`,
    '',
    'Target (issue 14): after ≤ 1.5× for both. The old trainer query returns the newest 200,000 rows of all history, the new',
    'one those of the last day (fewer here: the seeded traffic is ~33,000 events a day).',
    '',
  ];
  return lines.join('\n');
}

/** `pnpm bench history`: the trainer's and the live view's periodic queries at 1M and 10M events, before and after. */
export async function benchHistoryScaling(): Promise<HistoryScalingComparison> {
  log('\n## History scaling: periodic queries at 1M and 10M events of history, old queries next to the new');
  let clickhouseUrl = process.env.CLICKHOUSE_URL;
  let stop = async () => undefined as void;
  if (!clickhouseUrl) {
    rmSync(DATA_DIR, { recursive: true, force: true });
    const local = await ensureClickHouse({ port: PORT, dataDir: DATA_DIR, logFile: path.join(REPO_ROOT, '.local', 'bench', 'history-chdb.log') });
    clickhouseUrl = local.url;
    stop = async () => {
      await local.stop();
      rmSync(DATA_DIR, { recursive: true, force: true });
    };
  }
  try {
    const version = await (await fetch(`${clickhouseUrl}/?query=SELECT%20version()`)).text();
    const sizes = process.env.BENCH_HISTORY_SIZES?.split(',').map(Number);
    const comparison = await compareHistoryScaling({ clickhouseUrl, ...(sizes ? { sizes } : {}), log, baseline: true });
    const meta = { at: new Date().toISOString(), clickhouse: `ClickHouse ${version.trim()}${process.env.CLICKHOUSE_URL ? '' : ' (embedded chDB, infra/chdb-server)'}` };
    mkdirSync(RESULTS_DIR, { recursive: true });
    writeFileSync(path.join(RESULTS_DIR, 'history-scaling.json'), `${JSON.stringify({ ...meta, ...comparison }, null, 2)}\n`);
    writeFileSync(path.join(RESULTS_DIR, 'history-scaling.md'), renderMarkdown(comparison, meta));
    log(`trainer: ${comparison.before?.trainerRatio}× before, ${comparison.after.trainerRatio}× after; live view: ${comparison.before?.liveViewRatio}× before, ${comparison.after.liveViewRatio}× after (largest / smallest)`);
    log(`results: ${path.relative(process.cwd(), path.join(RESULTS_DIR, 'history-scaling.md'))}`);
    return comparison;
  } finally {
    await stop();
  }
}
