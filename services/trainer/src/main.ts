import { createLogger, createMetricsRegistry, runMain, runService } from '@telltale/runtime';
import { startTrainerApp, trainerService } from './trainer.app';
import { loadTrainerConfig } from './trainer.config';

/**
 * `tsx src/main.ts`        service: train every TRAINER_INTERVAL_S, /healthz and /metrics on ADMIN_PORT.
 * `tsx src/main.ts --once` CLI: train once, print one JSON summary line, exit 0 when a model was published,
 *                          2 when it refused (too few rows, one class), 1 on errors.
 */
const args = process.argv.slice(2);
const unknown = args.filter((a) => a !== '--once');
if (unknown.length > 0) {
  process.stderr.write(`unknown argument(s) ${unknown.join(' ')}; usage: main.ts [--once]\n`);
  process.exit(1);
}
if (args.includes('--once')) {
  runMain(async () => {
    const config = loadTrainerConfig();
    // In --once mode stdout carries only the JSON summary; logs go to stderr.
    const logger = createLogger('trainer', config.LOG_LEVEL, { toStderr: true });
    process.exitCode = await trainOnce(config, logger, createMetricsRegistry('trainer'));
  });
} else {
  runService(trainerService);
}

async function trainOnce(
  config: ReturnType<typeof loadTrainerConfig>,
  logger: ReturnType<typeof createLogger>,
  registry: ReturnType<typeof createMetricsRegistry>,
): Promise<number> {
  const app = await startTrainerApp(config, logger, registry);
  try {
    const result = await app.service.runOnce();
    const summary = result.published
      ? {
          published: true,
          model: result.model.name,
          version: result.model.version,
          auc: result.model.metrics.auc,
          logLoss: result.model.metrics.logLoss,
          rows: result.rows,
          trainRows: result.model.metrics.trainRows,
          testRows: result.model.metrics.testRows,
          durationMs: result.durationMs,
        }
      : { published: false, model: config.MODEL_NAME, reason: result.reason, message: result.message, rows: result.rows, durationMs: result.durationMs };
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    if (!result.published) process.stderr.write(`trainer: no model published: ${result.message}\n`);
    return result.published ? 0 : 2;
  } catch (err) {
    process.stderr.write(`trainer: training failed: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  } finally {
    await app.close();
  }
}

