import { toClickHouseTime, type ClickHouseClient } from '@telltale/clickhouse';
import type { Candidate } from './model-fitting';
import type { PromotionDecision } from './promotion';

export interface TrainedModelRecord {
  candidate: Candidate;
  decision: PromotionDecision;
  /** The version it was published under, when promoted. */
  version: number | null;
  /** Labelled rows read by the run. */
  rows: number;
}

/** Non-finite numbers (an AUC with one class) travel as null in JSON; ClickHouse then stores the column default 0. */
const finite = (x: number) => (Number.isFinite(x) ? x : null);

/** The row of ClickHouse table `models` (migration 006) for one trained model. */
export function modelRow({ candidate, decision, version, rows }: TrainedModelRecord): Record<string, unknown> {
  const { model, test, holdout, split } = candidate;
  const comparison = decision.comparison;
  return {
    model_name: model.name,
    run_id: model.runId,
    trained_at: toClickHouseTime(model.trainedAt),
    version,
    promoted: version !== null,
    decision: decision.reason,
    algorithm: model.algorithm,
    feature_transform: model.featureTransform,
    feature_names: model.featureNames,
    means: model.means,
    stds: model.stds,
    weights: model.weights,
    intercept: model.intercept,
    dropped_inputs: candidate.dropped.map((d) => `${d.name}:${d.reason}`),
    rows,
    data_from: toClickHouseTime(candidate.dataFromMs),
    data_to: toClickHouseTime(candidate.dataToMs),
    train_rows: model.metrics.trainRows,
    test_rows: test.rows,
    test_auc: finite(test.auc),
    test_log_loss: finite(test.logLoss),
    test_ece: finite(test.ece),
    holdout_from: toClickHouseTime(split.holdoutFromMs),
    holdout_rows: holdout.rows,
    holdout_auc: finite(holdout.auc),
    holdout_log_loss: finite(holdout.logLoss),
    holdout_ece: finite(holdout.ece),
    holdout_calibration: holdout.calibration.map((b) => ({ up_to: b.upTo, rows: b.rows, mean_predicted: b.meanPredicted, observed_rate: b.observedRate })),
    live_version: comparison?.liveVersion ?? null,
    compared_rows: comparison?.rows ?? 0,
    candidate_log_loss: comparison ? finite(comparison.candidate.logLoss) : null,
    live_log_loss: comparison ? finite(comparison.live.logLoss) : null,
    candidate_auc: comparison ? finite(comparison.candidate.auc) : null,
    live_auc: comparison ? finite(comparison.live.auc) : null,
    fit_ms: Math.round(candidate.fit.ms),
    fit_iterations: candidate.fit.iterations,
  };
}

export async function recordTrainedModel(client: ClickHouseClient, record: TrainedModelRecord): Promise<void> {
  await client.insert({ table: 'models', values: [modelRow(record)], format: 'JSONEachRow' });
}
