import { randomUUID } from 'node:crypto';
import { isRetriableClickHouseError, type ClickHouseClient } from '@telltale/clickhouse';
import type { Model, Topics } from '@telltale/contracts';
import type { KafkaClient } from '@telltale/kafka';
import { withRetry, type Logger } from '@telltale/runtime';
import type { Candidate, SkipReason } from './model-fitting';
import { FitCancelledError, fitModelOnThread } from './model-fitting.thread';
import { promoteAndPublish } from './model-publisher';
import { recordTrainedModel } from './model-registry';
import type { PromotionDecision } from './promotion';
import type { TrainerConfig } from './trainer.config';
import type { TrainerMetrics } from './trainer.metrics';
import { loadTrainingSet, trainingWindow } from './training-data';

export type RunResult =
  | { outcome: 'published'; model: Model; candidate: Candidate; decision: PromotionDecision; rows: number; durationMs: number }
  | { outcome: 'not_promoted'; candidate: Candidate; decision: PromotionDecision; rows: number; durationMs: number }
  | { outcome: 'skipped'; reason: SkipReason; message: string; rows: number; positives: number; durationMs: number };

export interface TrainerDeps {
  config: TrainerConfig;
  clickhouse: ClickHouseClient;
  kafka: KafkaClient;
  topics: Topics;
  metrics: TrainerMetrics;
  logger: Logger;
  now?: () => number;
  /** For tests: runs between choosing a version and committing it (see model-publisher.ts). */
  beforeCommit?: (model: Model) => Promise<void>;
}

/** Consecutive failed runs after which /healthz reports the trainer unhealthy. */
const UNHEALTHY_AFTER_FAILURES = 3;

const retryClickHouse = {
  retries: 3,
  initialDelayMs: 500,
  maxDelayMs: 5000,
  shouldRetry: isRetriableClickHouseError,
};

/**
 * One training run = read labelled rows → fit (worker thread) → decide promotion against the live model and publish
 * (fenced, model-publisher.ts) → record the model in ClickHouse. In service mode the runs repeat TRAINER_INTERVAL_S
 * after the previous one ended, so a slow run never overlaps the next.
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
  private lastPublished: number | undefined;

  constructor(private readonly deps: TrainerDeps) {
    this.now = deps.now ?? Date.now;
    // Export the counters at 0 from the start, so rate() and alerts work before the first event.
    const model = deps.config.MODEL_NAME;
    for (const counter of [deps.metrics.runs, deps.metrics.published, deps.metrics.notPromoted, deps.metrics.failures]) counter.inc({ model }, 0);
  }

  async runOnce(): Promise<RunResult> {
    const { config, metrics, logger } = this.deps;
    const model = config.MODEL_NAME;
    const started = this.now();
    const durationMs = () => this.now() - started;
    const endTimer = metrics.runDuration.startTimer({ model });
    metrics.runs.inc({ model });
    try {
      // NOTE: the cutoff is taken from our clock, the snapshots' event_time from the client's (skew-corrected by
      // the enricher): the label delay absorbs small differences.
      const cutoffMs = started - config.TRAINER_LABEL_DELAY_S * 1000;
      const set = await withRetry(() => loadTrainingSet(this.deps.clickhouse, trainingWindow(config, cutoffMs)), {
        ...retryClickHouse,
        signal: this.stopping.signal,
        onRetry: (err, attempt, delayMs) => logger.warn({ err, attempt, delayMs }, 'training query failed; retrying'),
      });
      metrics.trainingRows.set({ model }, set.rows);

      const outcome = await fitModelOnThread(
        set,
        {
          name: model,
          runId: randomUUID(),
          minRows: config.TRAINER_MIN_ROWS,
          testFraction: config.TRAINER_TEST_FRACTION,
          holdoutFraction: config.TRAINER_HOLDOUT_FRACTION,
          seed: config.TRAINER_SPLIT_SEED,
          l2: config.TRAINER_L2,
          timeFeatures: config.TRAINER_TIME_FEATURES,
          now: this.now,
        },
        this.stopping.signal,
      );

      if (outcome.kind === 'skipped') {
        metrics.skips.inc({ model, reason: outcome.reason });
        logger.warn({ model, reason: outcome.reason, rows: outcome.rows, positives: outcome.positives }, `no model trained: ${outcome.message}`);
        this.succeeded();
        return { outcome: 'skipped', reason: outcome.reason, message: outcome.message, rows: outcome.rows, positives: outcome.positives, durationMs: durationMs() };
      }

      // A shutdown that came while the fit finished: do not start publishing (a publish already started completes).
      if (this.stopping.signal.aborted) throw new FitCancelledError();
      const { candidate } = outcome;
      const { holdout } = candidate;
      metrics.fitDuration.observe({ model }, candidate.fit.ms / 1000);
      const result = await promoteAndPublish(
        {
          kafka: this.deps.kafka,
          topic: this.deps.topics.models,
          transactionalId: `${config.TOPIC_PREFIX}telltale-trainer.${model}`,
          groupIdPrefix: `${config.TOPIC_PREFIX}trainer-models`,
          logger,
          beforeCommit: this.deps.beforeCommit,
        },
        candidate,
        set,
        { metric: config.TRAINER_PROMOTION_METRIC, tolerance: config.TRAINER_PROMOTION_TOLERANCE },
      );
      const version = result.published ? result.model.version : null;
      await withRetry(() => recordTrainedModel(this.deps.clickhouse, { candidate, decision: result.decision, version, rows: set.rows }), {
        ...retryClickHouse,
        signal: this.stopping.signal,
        onRetry: (err, attempt, delayMs) => logger.warn({ err, attempt, delayMs }, 'recording the model failed; retrying'),
      });

      const m = candidate.model.metrics;
      const summary = {
        model,
        runId: candidate.model.runId,
        version,
        decision: result.decision.reason,
        testAuc: m.auc,
        testLogLoss: m.logLoss,
        holdoutAuc: holdout.auc,
        holdoutLogLoss: holdout.logLoss,
        holdoutEce: holdout.ece,
        trainRows: m.trainRows,
        inputs: candidate.model.featureNames.length,
        fitMs: candidate.fit.ms,
        durationMs: durationMs(),
      };
      this.succeeded();
      if (!result.published) {
        metrics.notPromoted.inc({ model });
        logger.info(summary, 'trained model not promoted');
        return { outcome: 'not_promoted', candidate, decision: result.decision, rows: set.rows, durationMs: durationMs() };
      }
      this.lastPublished = result.model.version;
      metrics.published.inc({ model });
      metrics.modelVersion.set({ model }, result.model.version);
      metrics.auc.set({ model }, holdout.auc);
      metrics.logLoss.set({ model }, holdout.logLoss);
      metrics.ece.set({ model }, holdout.ece);
      logger.info(summary, 'published model');
      return { outcome: 'published', model: result.model, candidate, decision: result.decision, rows: set.rows, durationMs: durationMs() };
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
    return { ok: true, detail: this.lastPublished ? `published version ${this.lastPublished}` : 'no model published by this process yet' };
  }
}
