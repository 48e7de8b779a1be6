import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { LoadStats } from './load-driver';

/** One fault injected: what, to which process, and how long the supervisor took to bring it back. */
export interface FaultRecord {
  target: string;
  signal: NodeJS.Signals;
  pid: number;
  /** Epoch ms. */
  at: number;
  newPid?: number;
  /** From the signal to the new process healthy (stack.json), ms. */
  restartMs?: number;
}

/** What one scenario measured. null: not measured (e.g. ClickHouse could not be asked, or no load in this scenario). */
export interface ScenarioResult {
  scenario: string;
  ok: boolean;
  /** Why it failed, each with the evidence (counts, sample ids, log tails). */
  failures: string[];
  acknowledged: number | null;
  /** Acknowledged events with a row in `events`. */
  rowsFound: number | null;
  /** Acknowledged events without a row: must be 0. */
  lost: number | null;
  /** count(), count() FINAL and uniqExact(message_id) over the scenario's own rows. */
  rows: number | null;
  rowsFinal: number | null;
  uniqueIds: number | null;
  /** rows - uniqueIds: allowed (at-least-once replays), collapsed by FINAL. */
  duplicatesBeforeFinal: number | null;
  /** Acknowledged events without a prediction although a model was live. */
  missingPredictions: number | null;
  /** From the (last) fault to every acknowledged event queryable (and predicted), ms. */
  recoverMs: number | null;
  /** Largest total consumer lag the sink reported during the scenario. */
  maxSinkLag: number | null;
  lagByService: Record<string, number>;
  /** Restarts per process during the scenario (stack.json). */
  restarts: Record<string, number>;
  faults: FaultRecord[];
  load: LoadStats | null;
  notes: string[];
  durationMs: number;
}

export function newResult(scenario: string): ScenarioResult {
  return {
    scenario,
    ok: false,
    failures: [],
    acknowledged: null,
    rowsFound: null,
    lost: null,
    rows: null,
    rowsFinal: null,
    uniqueIds: null,
    duplicatesBeforeFinal: null,
    missingPredictions: null,
    recoverMs: null,
    maxSinkLag: null,
    lagByService: {},
    restarts: {},
    faults: [],
    load: null,
    notes: [],
    durationMs: 0,
  };
}

/** A failure found after the common checks (by the scenario's own guarantee). */
export function addFailure(result: ScenarioResult, failure: string): void {
  result.failures.push(failure);
  result.ok = false;
}

const COLUMNS: Array<[string, (r: ScenarioResult) => string]> = [
  ['scenario', (r) => r.scenario],
  ['acked', (r) => num(r.acknowledged)],
  ['found', (r) => num(r.rowsFound)],
  ['lost', (r) => num(r.lost)],
  ['dup<FINAL', (r) => num(r.duplicatesBeforeFinal)],
  ['FINAL', (r) => num(r.rowsFinal)],
  ['no pred', (r) => num(r.missingPredictions)],
  ['faults', (r) => String(r.faults.length)],
  ['restarts', (r) => String(Object.values(r.restarts).reduce((a, b) => a + b, 0))],
  ['recover s', (r) => (r.recoverMs === null ? '-' : (r.recoverMs / 1000).toFixed(1))],
  ['max sink lag', (r) => num(r.maxSinkLag)],
  ['took s', (r) => (r.durationMs / 1000).toFixed(0)],
  ['result', (r) => (r.ok ? 'ok' : `FAILED (${r.failures.length})`)],
];

/** A fixed-width text table, one row per scenario, then each failure's first line. */
export function renderTable(results: ScenarioResult[], title: string): string {
  const rows = [COLUMNS.map(([h]) => h), ...results.map((r) => COLUMNS.map(([, cell]) => cell(r)))];
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const line = (row: string[]) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  const out = [title, line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)];
  for (const r of results) {
    for (const note of r.notes) out.push(`  ${r.scenario}: ${note}`);
    for (const failure of r.failures) out.push(`  ${r.scenario} FAILED: ${failure.split('\n')[0]}`);
  }
  return out.join('\n');
}

/** Writes `<dir>/report-<time>.json` and `<dir>/latest.json` (atomically); returns the first path. */
export function writeReport(dir: string, report: { runId: string; profile: string; startedAt: string; results: ScenarioResult[] }): string {
  mkdirSync(dir, { recursive: true });
  const text = `${JSON.stringify({ ...report, finishedAt: new Date().toISOString() }, null, 2)}\n`;
  const file = path.join(dir, `report-${report.runId}.json`);
  writeFileSync(file, text);
  const latestTmp = path.join(dir, `.latest.json.${process.pid}`);
  writeFileSync(latestTmp, text);
  renameSync(latestTmp, path.join(dir, 'latest.json'));
  return file;
}

function num(n: number | null): string {
  return n === null ? '-' : String(n);
}
