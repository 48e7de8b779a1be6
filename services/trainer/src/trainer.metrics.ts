import { Counter, Gauge, Histogram, type Registry } from '@telltale/runtime';

export type TrainerMetrics = ReturnType<typeof createTrainerMetrics>;

export function createTrainerMetrics(registry: Registry) {
  const registers = [registry];
  return {
    modelVersion: new Gauge({ name: 'telltale_trainer_model_version', help: 'Version of the last model this trainer published', labelNames: ['model'], registers }),
    auc: new Gauge({ name: 'telltale_trainer_auc', help: 'ROC AUC of the last published model on its time-based holdout (the newest sessions)', labelNames: ['model'], registers }),
    logLoss: new Gauge({ name: 'telltale_trainer_log_loss', help: 'Log loss of the last published model on its time-based holdout', labelNames: ['model'], registers }),
    ece: new Gauge({ name: 'telltale_trainer_ece', help: 'Expected calibration error (10 bins) of the last published model on its time-based holdout', labelNames: ['model'], registers }),
    trainingRows: new Gauge({ name: 'telltale_trainer_training_rows', help: 'Labelled rows read by the last run', labelNames: ['model'], registers }),
    runs: new Counter({ name: 'telltale_trainer_runs_total', help: 'Training runs started', labelNames: ['model'], registers }),
    published: new Counter({ name: 'telltale_trainer_published_total', help: 'Models promoted and published', labelNames: ['model'], registers }),
    notPromoted: new Counter({
      name: 'telltale_trainer_not_promoted_total',
      help: 'Models trained but not promoted: worse than the live model on the same holdout',
      labelNames: ['model'],
      registers,
    }),
    skips: new Counter({
      name: 'telltale_trainer_skips_total',
      help: 'Runs that trained no model (too few rows, one class)',
      labelNames: ['model', 'reason'],
      registers,
    }),
    failures: new Counter({ name: 'telltale_trainer_failures_total', help: 'Runs that failed with an error', labelNames: ['model'], registers }),
    fitDuration: new Histogram({
      name: 'telltale_trainer_fit_duration_seconds',
      help: 'Wall time of a fit (inputs, standardisation, Newton iterations) on the worker thread',
      labelNames: ['model'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    runDuration: new Histogram({
      name: 'telltale_trainer_run_duration_seconds',
      help: 'Wall time of a training run: query, fit, promotion, publish, record',
      labelNames: ['model'],
      buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300],
      registers,
    }),
  };
}
