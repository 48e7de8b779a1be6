import { Counter, Gauge, Histogram, type Registry } from '@telltale/runtime';

export type ScorerMetrics = ReturnType<typeof createScorerMetrics>;

export function createScorerMetrics(registry: Registry) {
  const registers = [registry];
  return {
    /** rate() of this is predictions/s. */
    predictions: new Counter({ name: 'telltale_scorer_predictions_total', help: 'Predictions published (acknowledged)', labelNames: ['model'], registers }),
    unscored: new Counter({
      name: 'telltale_scorer_unscored_total',
      help: 'Feature vectors consumed without a prediction, by reason (no_model: nothing published for MODEL_NAME yet)',
      labelNames: ['reason'],
      registers,
    }),
    modelVersion: new Gauge({ name: 'telltale_scorer_model_version', help: 'Version of the model scoring now (0: none)', labelNames: ['model'], registers }),
    modelUpdates: new Counter({ name: 'telltale_scorer_model_updates_total', help: 'Models taken into use', labelNames: ['model'], registers }),
    invalidModels: new Counter({ name: 'telltale_scorer_invalid_models_total', help: 'Model records rejected as inconsistent', labelNames: ['model'], registers }),
    latency: new Histogram({
      name: 'telltale_scorer_latency_seconds',
      help: 'From the event time (client, skew-corrected) to predictedAt',
      labelNames: ['model'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    /** The pipeline's own latency, free of client clocks: from the collector's receipt of the event to its score. */
    receiptLatency: new Histogram({
      name: 'telltale_scorer_receipt_to_prediction_seconds',
      help: 'From the collector receiving the event (receivedAt) to predictedAt',
      labelNames: ['model'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
  };
}
