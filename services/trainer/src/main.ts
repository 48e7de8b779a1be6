import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { createClickHouseClient, settingsFromEnv } from '@telltale/clickhouse';
import { trainingSetCsvLines } from '@telltale/model';
import { createLogger, createMetricsRegistry, runMain, runService } from '@telltale/runtime';
import { startTrainerApp, trainerService } from './trainer.app';
import { loadTrainerConfig, type TrainerConfig } from './trainer.config';
import { loadTrainingSet, trainingWindow } from './training-data';

/**
 * `tsx src/main.ts`                service: train every TRAINER_INTERVAL_S, /healthz and /metrics on ADMIN_PORT.
 * `tsx src/main.ts --once`         CLI: train once, print one JSON summary line, exit 0 when a model was published,
 *                                  2 when none was (too few rows, one class, not better than the live model), 1 on errors.
 * `tsx src/main.ts --export FILE`  CLI: write the labelled rows a run would train on to FILE as CSV (see
 *                                  packages/model training-set-csv.ts), print one JSON line, exit 0; ClickHouse only.
 */
const USAGE = 'usage: main.ts [--once | --export FILE]';
const args = process.argv.slice(2);
const mode = parseArgs(args);
if (mode === undefined) {
  process.stderr.write(`unknown arguments ${args.join(' ')}; ${USAGE}\n`);
  process.exit(1);
}
if (mode.kind === 'service') {
  runService(trainerService);
} else {
  runMain(async () => {
    const config = loadTrainerConfig();
    // In CLI modes stdout carries only the JSON summary; logs go to stderr.
    const logger = createLogger('trainer', config.LOG_LEVEL, { toStderr: true });
    process.exitCode = mode.kind === 'once' ? await trainOnce(config, logger) : await exportRows(config, logger, mode.file);
  });
}

function parseArgs(argv: string[]): { kind: 'service' } | { kind: 'once' } | { kind: 'export'; file: string } | undefined {
  if (argv.length === 0) return { kind: 'service' };
  if (argv.length === 1 && argv[0] === '--once') return { kind: 'once' };
  if (argv.length === 2 && argv[0] === '--export' && argv[1]) return { kind: 'export', file: argv[1] };
  return undefined;
}

async function trainOnce(config: TrainerConfig, logger: ReturnType<typeof createLogger>): Promise<number> {
  const app = await startTrainerApp(config, logger, createMetricsRegistry('trainer'));
  try {
    const result = await app.service.runOnce();
    const base = { model: config.MODEL_NAME, rows: result.rows, durationMs: result.durationMs };
    const summary =
      result.outcome === 'skipped'
        ? { published: false, ...base, reason: result.reason, message: result.message }
        : {
            published: result.outcome === 'published',
            ...base,
            version: result.outcome === 'published' ? result.model.version : null,
            decision: result.decision.reason,
            runId: result.candidate.model.runId,
            auc: result.candidate.test.auc,
            logLoss: result.candidate.test.logLoss,
            holdoutAuc: result.candidate.holdout.auc,
            holdoutLogLoss: result.candidate.holdout.logLoss,
            holdoutEce: result.candidate.holdout.ece,
            trainRows: result.candidate.model.metrics.trainRows,
            testRows: result.candidate.test.rows,
            holdoutRows: result.candidate.holdout.rows,
            fitMs: result.candidate.fit.ms,
          };
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    if (result.outcome === 'skipped') process.stderr.write(`trainer: no model trained: ${result.message}\n`);
    if (result.outcome === 'not_promoted') process.stderr.write(`trainer: model not promoted: ${result.decision.reason}\n`);
    return result.outcome === 'published' ? 0 : 2;
  } catch (err) {
    process.stderr.write(`trainer: training failed: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  } finally {
    await app.close();
  }
}

async function exportRows(config: TrainerConfig, logger: ReturnType<typeof createLogger>, file: string): Promise<number> {
  const clickhouse = createClickHouseClient(settingsFromEnv(config), { logger });
  try {
    const set = await loadTrainingSet(clickhouse, trainingWindow(config, Date.now() - config.TRAINER_LABEL_DELAY_S * 1000));
    const out = createWriteStream(file);
    for (const line of trainingSetCsvLines(set)) {
      if (!out.write(`${line}\n`)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
    process.stdout.write(`${JSON.stringify({ file, rows: set.rows, sessions: set.sessionIds.length, features: set.featureNames })}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`trainer: export failed: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  } finally {
    await clickhouse.close();
  }
}
