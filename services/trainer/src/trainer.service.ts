import { isRetriableClickHouseError, type ClickHouseClient } from '@telltale/clickhouse';
import type { Model, Topics } from '@telltale/contracts';
import type { AvroProducer } from '@telltale/kafka';
import type { LatestModels } from '@telltale/model';
import { withRetry, type Logger } from '@telltale/runtime';
import type { SkipReason } from './model-fitting';
import { FitCancelledError, fitModelOnThread } from './model-fitting.thread';
import type { TrainerConfig } from './trainer.config';
import type { TrainerMetrics } from './trainer.metrics';
import { loadTrainingRows } from './training-data';

export type RunResult =
  | { published: true; model: Model; rows: number; durationMs: number }
  | { published: false; reason: SkipReason; message: string; rows: number; positives: number; durationMs: number };

export interface TrainerDeps {
  config: TrainerConfig;
  clickhouse: ClickHouseClient;
  producer: AvroProducer;
  topics: Topics;
  /** Fed by a follower of the models topic; the next version is one above the latest seen here. */
  models: LatestModels<Model>;
  metrics: TrainerMetrics;
  logger: Logger;
  now?: () => number;
}

/** Consecutive failed runs after which /healthz reports the trainer unhealthy. */
const UNHEALTHY_AFTER_FAILURES = 3;

/**
 * One training run = read labelled rows → fit → publish. In service mode the runs repeat TRAINER_INTERVAL_S after
 * the previous one ended, so a slow run never overlaps the next.
 */
export class TrainerService {
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private current: Promise<unknown> | undefined;
  private stopped = false;
  /** Aborted by stop(): cancels a fit in progress. */
  private readonly stopping = new AbortController();
  private consecutiveFailures = 0;
  private lastError: string | undefined;

  constructor(private readonly deps: TrainerDeps) {
    this.now = deps.now ?? Date.now;
    // Export the counters at 0 from the start, so rate() and alerts work before the first event.
    const model = deps.config.MODEL_NAME;
    for (const counter of [deps.metrics.runs, deps.metrics.published, deps.metrics.failures]) counter.inc({ model }, 0);
  }

  async runOnce(): Promise<RunResult> {
    const { config, metrics, logger } = this.deps;
    const model = config.MODEL_NAME;
    const started = this.now();
    const endTimer = metrics.runDuration.startTimer({ model });
    metrics.runs.inc({ model });
    try {
      // NOTE: the cutoff is taken from our clock, the snapshots' event_time from the client's (skew-corrected by
      // the enricher): the label delay absorbs small differences.
      const cutoffMs = started - config.TRAINER_LABEL_DELAY_S * 1000;
      const rows = await withRetry(() => loadTrainingRows(this.deps.clickhouse, { cutoffMs, maxRows: config.TRAINER_MAX_ROWS }), {
        retries: 3,
        initialDelayMs: 500,
        maxDelayMs: 5000,
        shouldRetry: isRetriableClickHouseError,
        signal: this.stopping.signal,
        onRetry: (err, attempt, delayMs) => logger.warn({ err, attempt, delayMs }, 'training query failed; retrying'),
      });
      metrics.trainingRows.set({ model }, rows.length);

      const version = this.deps.models.versionOf(model) + 1;
      const outcome = await fitModelOnThread(rows, {
        name: model,
        version,
        minRows: config.TRAINER_MIN_ROWS,
        testFraction: config.TRAINER_TEST_FRACTION,
        seed: config.TRAINER_SPLIT_SEED,
        learningRate: config.TRAINER_LEARNING_RATE,
        steps: config.TRAINER_STEPS,
        now: this.now,
      }, this.stopping.signal);
      const durationMs = () => this.now() - started;

      if (outcome.kind === 'skipped') {
        metrics.skips.inc({ model, reason: outcome.reason });
        logger.warn({ model, reason: outcome.reason, rows: outcome.rows, positives: outcome.positives }, `not publishing: ${outcome.message}`);
        this.succeeded();
        return { published: false, reason: outcome.reason, message: outcome.message, rows: outcome.rows, positives: outcome.positives, durationMs: durationMs() };
      }

      // Resolves once the broker acknowledged (acks=all): only then is the version taken.
      await this.deps.producer.send(this.deps.topics.models, [{ key: model, value: outcome.model }]);
      // The follower will deliver it too; recording it now means the next run cannot reuse this version even if
      // the follower is behind.
      this.deps.models.offer(outcome.model);
      const { metrics: m } = outcome.model;
      metrics.published.inc({ model });
      metrics.modelVersion.set({ model }, version);
      metrics.auc.set({ model }, m.auc);
      metrics.logLoss.set({ model }, m.logLoss);
      logger.info(
        { model, version, auc: m.auc, logLoss: m.logLoss, trainRows: m.trainRows, testRows: m.testRows, positiveRate: m.positiveRate, features: outcome.model.featureNames.length, durationMs: durationMs() },
        'published model',
      );
      this.succeeded();
      return { published: true, model: outcome.model, rows: rows.length, durationMs: durationMs() };
    } catch (err) {
      if (err instanceof FitCancelledError) throw err; // shutdown, not a failed run
      metrics.failures.inc({ model });
      this.consecutiveFailures++;
      this.lastError = err instanceof Error ? err.message : String(err);
      throw err;
    } finally {
      endTimer();
    }
  }

  private succeeded(): void {
    this.consecutiveFailures = 0;
    this.lastError = undefined;
  }

  /** Service mode: run now, then again TRAINER_INTERVAL_S after each run ends. Failures are logged, not fatal. */
  start(): void {
    const loop = () => {
      if (this.stopped) return;
      this.current = this.runOnce()
        .catch((err: unknown) => {
          if (err instanceof FitCancelledError) this.deps.logger.info({ model: this.deps.config.MODEL_NAME }, 'training run cancelled by shutdown');
          else this.deps.logger.error({ err, model: this.deps.config.MODEL_NAME }, 'training run failed');
        })
        .finally(() => {
          this.current = undefined;
          if (!this.stopped) this.timer = setTimeout(loop, this.deps.config.TRAINER_INTERVAL_S * 1000);
        });
    };
    loop();
  }

  /**
   * Cancels the next run and ends the one in progress: a fit is cancelled (its thread terminated: a shutdown never
   * waits for a long fit); a model already being published is still acknowledged, not dropped.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.stopping.abort();
    await this.current;
  }

  health(): { ok: boolean; detail?: string } {
    if (this.consecutiveFailures >= UNHEALTHY_AFTER_FAILURES) {
      return { ok: false, detail: `${this.consecutiveFailures} runs failed in a row; last: ${this.lastError}` };
    }
    return { ok: true, detail: `latest version ${this.deps.models.versionOf(this.deps.config.MODEL_NAME)}` };
  }
}
