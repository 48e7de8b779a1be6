import { PREDICTION_EXPLANATION_HEADER, encodeExplanationHeader, type FeatureVector, type Model, type Topics } from '@telltale/contracts';
import { rejectionOf, type AvroProducer, type ConsumedRecord, type DeadLetterPublisher, type Subscription } from '@telltale/kafka';
import type { LatestModels } from '@telltale/model';
import type { Logger } from '@telltale/runtime';
import { explainedPredictionsFor, loadModel, type LiveModel } from './feature-scoring';
import type { ScorerConfig } from './scorer.config';
import type { ScorerMetrics } from './scorer.metrics';

export interface ScorerDeps {
  config: ScorerConfig;
  topics: Topics;
  producer: AvroProducer;
  /** Where a prediction too large for its topic goes (with its feature vector's bytes), instead of stalling the batch. */
  deadLetters: DeadLetterPublisher;
  /** The live model per name, compiled. */
  models: LatestModels<LiveModel>;
  metrics: ScorerMetrics;
  logger: Logger;
  now?: () => number;
}

/** Turns feature-vector batches into predictions with the latest model of MODEL_NAME. */
export class ScorerService {
  private readonly now: () => number;
  private noModelLogged = false;

  constructor(private readonly deps: ScorerDeps) {
    this.now = deps.now ?? Date.now;
    deps.metrics.modelVersion.set({ model: deps.config.MODEL_NAME }, 0);
    // Export the counters at 0 from the start, so rate() and alerts work before the first event.
    deps.metrics.predictions.inc({ model: deps.config.MODEL_NAME }, 0);
    deps.metrics.unscored.inc({ reason: 'no_model' }, 0);
  }

  /**
   * For the models follower: takes a model into use when it is usable and newer than the current one. The model is
   * validated and compiled first, then swapped in with one assignment: a batch in flight keeps the model it started
   * with, the next batch gets the new one, and there is no moment without a model.
   */
  onModel(model: Model): void {
    const { metrics, logger } = this.deps;
    const loaded = loadModel(model);
    if ('problems' in loaded) {
      // Scoring on with the previous model beats scoring garbage or crashing.
      metrics.invalidModels.inc({ model: model.name });
      logger.error({ model: model.name, version: model.version, problems: loaded.problems }, 'ignored unusable model');
      return;
    }
    if (!this.deps.models.offer(loaded.live)) {
      logger.debug({ model: model.name, version: model.version }, 'ignored model: not newer than the current one');
      return;
    }
    metrics.modelUpdates.inc({ model: model.name });
    if (model.name === this.deps.config.MODEL_NAME) metrics.modelVersion.set({ model: model.name }, model.version);
    logger.info(
      { model: model.name, version: model.version, runId: model.runId, holdoutAuc: model.metrics.holdout?.auc, inputs: model.featureNames.length },
      'model in use',
    );
  }

  currentModel(): Model | undefined {
    return this.deps.models.get(this.deps.config.MODEL_NAME)?.model;
  }

  subscription(): Subscription<FeatureVector> {
    return { topic: this.deps.topics.features, handle: (records) => this.handle(records) };
  }

  /** Resolves once every prediction of the batch is acknowledged; the BatchConsumer commits after that. */
  private async handle(records: Array<ConsumedRecord<FeatureVector>>): Promise<void> {
    const { metrics, logger, config } = this.deps;
    // Read once: this batch is scored by this model whatever arrives on the models topic meanwhile.
    const live = this.deps.models.get(config.MODEL_NAME);
    if (!live) {
      // NOTE: no fake scores. These vectors are committed unscored: scoring them later with a model trained after
      // them would be a different thing from a live score.
      metrics.unscored.inc({ reason: 'no_model' }, records.length);
      if (!this.noModelLogged) {
        this.noModelLogged = true;
        logger.warn({ model: config.MODEL_NAME, topic: records[0]?.topic, partition: records[0]?.partition }, 'no model yet: feature vectors are not scored');
      }
      return;
    }
    this.noModelLogged = false;

    const predictedAt = this.now();
    const predictions = explainedPredictionsFor(records.map((r) => r.value), live, predictedAt);
    // Predictions are 1:1 with the records, so an index names the feature vector a refused prediction came from.
    // NOTE: the explanation goes in a header, not the value: the value's schema (and the fingerprint old subscribers
    // decode by) stays as it was (packages/contracts prediction-explanation.ts).
    const oversize = await this.deps.producer.sendFitting(
      this.deps.topics.predictions,
      predictions.map(({ prediction: p, explanation }) => ({ key: p.userKey, value: p, headers: { [PREDICTION_EXPLANATION_HEADER]: encodeExplanationHeader(explanation) } })),
    );
    await this.deps.deadLetters.publish(oversize.map((o) => rejectionOf(records[o.index]!, { reason: o.reason })));
    metrics.predictions.inc({ model: live.name }, predictions.length - oversize.length);
    // NOTE: the label set bound once per batch: prom-client hashes the labels on every observe() otherwise, twice per
    // prediction, which showed in the scorer's profile at thousands of predictions per second.
    const latency = metrics.latency.labels({ model: live.name });
    const receiptLatency = metrics.receiptLatency.labels({ model: live.name });
    for (const { prediction: p } of predictions) {
      latency.observe(Math.max(0, p.predictedAt - p.eventTime) / 1000);
      // receivedAt is 0 on vectors written before it was carried through: no receipt time to measure from.
      if (p.receivedAt > 0) receiptLatency.observe(Math.max(0, p.predictedAt - p.receivedAt) / 1000);
    }
    const last = records[records.length - 1];
    logger.debug(
      { model: live.name, version: live.version, count: predictions.length, topic: last?.topic, partition: last?.partition, lastOffset: last?.offset },
      'published predictions',
    );
  }
}
