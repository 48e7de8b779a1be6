import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, spawnTsx, stopChild, waitForHttp } from '@telltale/local-stack';

/** Where the ML scenario keeps its data, venv and intermediate files (gitignored). */
export const ML_DIR = path.join(REPO_ROOT, '.local', 'bench', 'ml');
export const TRAINING_ROWS_CSV = path.join(ML_DIR, 'training-rows.csv');

/** How the cached export is made (BENCH_ML_* variables override). */
const TRAFFIC = {
  minutes: Number(process.env.BENCH_ML_TRAFFIC_MINUTES ?? 30),
  eventsPerS: Number(process.env.BENCH_ML_EVENTS_PER_S ?? 200),
  portOffset: Number(process.env.BENCH_ML_PORT_OFFSET ?? 23_000),
};

/**
 * The training rows the trainer would use, exported with the trainer's own query (`main.ts --export`) from a pipeline
 * that ran the synthetic shoppers for a while. Made once and cached in .local/bench/ml/training-rows.csv: delete the
 * file to make a new one (about BENCH_ML_TRAFFIC_MINUTES minutes).
 */
export async function ensureTrainingRows(log: (line: string) => void): Promise<string> {
  if (existsSync(TRAINING_ROWS_CSV)) {
    log(`training rows: cached ${path.relative(REPO_ROOT, TRAINING_ROWS_CSV)}`);
    return TRAINING_ROWS_CSV;
  }
  mkdirSync(ML_DIR, { recursive: true });
  const stackDir = path.join(REPO_ROOT, '.local', 'bench', 'stack');
  rmSync(stackDir, { recursive: true, force: true });
  log(`training rows: running the pipeline with ${TRAFFIC.eventsPerS} events/s of synthetic shoppers for ${TRAFFIC.minutes} min (stack in ${path.relative(REPO_ROOT, stackDir)})`);
  const launcher = spawnTsx(path.join(REPO_ROOT, 'infra/local-stack/src/start.ts'), {
    env: {
      ...process.env,
      TELLTALE_LOCAL_DIR: stackDir,
      TELLTALE_PORT_OFFSET: String(TRAFFIC.portOffset),
      TRAFFIC_EVENTS_PER_S: String(TRAFFIC.eventsPerS),
      // The pipeline's own trainer would compete for the two cores: it waits until the export is done.
      TRAINER_INTERVAL_S: '100000',
    },
    logFile: path.join(ML_DIR, 'pipeline-run.log'),
    truncate: true,
  });
  const clickhouseUrl = `http://127.0.0.1:${8123 + TRAFFIC.portOffset}`;
  try {
    await waitForHttp(`http://127.0.0.1:${8080 + TRAFFIC.portOffset}/healthz`, {
      timeoutMs: 300_000,
      what: 'the pipeline (collector)',
      failure: () => (launcher.exitCode !== null ? `the launcher exited with ${launcher.exitCode}; see ${path.join(ML_DIR, 'pipeline-run.log')}` : undefined),
    });
    // NOTE: a bench may wait on the clock: the traffic runs for a set time.
    await new Promise((resolve) => setTimeout(resolve, TRAFFIC.minutes * 60_000));
    const exported = spawnSync(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'services/trainer/src/main.ts'), '--export', TRAINING_ROWS_CSV], {
      cwd: REPO_ROOT,
      env: { ...process.env, CLICKHOUSE_URL: clickhouseUrl, TRAINER_MAX_ROWS: '100000000', LOG_LEVEL: 'warn' },
      encoding: 'utf8',
    });
    if (exported.status !== 0) throw new Error(`export failed (${exported.status}): ${exported.stderr}`);
    log(`training rows: ${exported.stdout.trim()}`);
    return TRAINING_ROWS_CSV;
  } finally {
    // SIGTERM: the launcher stops its services, ClickHouse and Kafka in order.
    await stopChild(launcher, 60_000);
  }
}
