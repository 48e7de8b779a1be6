import type { Model } from '@telltale/contracts';
import { evaluate, labelsOf, scoreRows, validateLinearModel, type Evaluation, type TrainingSet } from '@telltale/model';
import type { Candidate } from './model-fitting';

export interface PromotionRule {
  /** The holdout metric that decides; 'none' promotes every model. */
  metric: 'log_loss' | 'auc' | 'none';
  /** How much worse than the live model the candidate may be on that metric. */
  tolerance: number;
}

export interface PromotionDecision {
  promote: boolean;
  /** One line for logs and the models table. */
  reason: string;
  /** Both models on the same rows; absent when there was no usable live model to compare with. */
  comparison?: { liveVersion: number; rows: number; candidate: Evaluation; live: Evaluation };
}

/** Fewer comparable holdout rows than this and the comparison says nothing: the candidate is not promoted. */
const MIN_COMPARISON_ROWS = 50;

/**
 * Whether `candidate` replaces `live`. Both are measured on the same rows: the candidate's time-based holdout,
 * restricted to sessions that started after the live model's own holdout began, so that neither model trained on
 * any of them (the live model was trained on sessions before its holdout).
 */
export function decidePromotion(candidate: Candidate, set: TrainingSet, live: Model | undefined, rule: PromotionRule): PromotionDecision {
  if (rule.metric === 'none') return { promote: true, reason: 'promotion rule none: every model is promoted' };
  if (!live) return { promote: true, reason: 'no live model yet' };
  const problems = validateLinearModel(live);
  // The scorer does not use such a model either; nothing live to protect.
  if (problems.length > 0) return { promote: true, reason: `live model v${live.version} is unusable here: ${problems.join('; ')}` };

  const liveHoldoutFrom = live.metrics.holdout?.fromTime ?? Number.NEGATIVE_INFINITY;
  const sessionStart = new Map<number, number>();
  for (const i of candidate.split.holdout) {
    const s = set.sessionCodes[i]!;
    sessionStart.set(s, Math.min(sessionStart.get(s) ?? Number.POSITIVE_INFINITY, set.eventTimeMs[i]!));
  }
  const rows = Int32Array.from(Array.from(candidate.split.holdout).filter((i) => sessionStart.get(set.sessionCodes[i]!)! >= liveHoldoutFrom));
  const labels = labelsOf(set, rows);
  const positives = labels.reduce((a, b) => a + b, 0);
  if (rows.length < MIN_COMPARISON_ROWS || positives === 0 || positives === rows.length) {
    return {
      promote: false,
      reason: `only ${rows.length} holdout rows (${positives} positive) are newer than live model v${live.version}'s training data: no fair comparison`,
    };
  }
  const candidateEval = evaluate(labels, scoreRows(candidate.model, set, rows));
  const liveEval = evaluate(labels, scoreRows(live, set, rows));
  const comparison = { liveVersion: live.version, rows: rows.length, candidate: candidateEval, live: liveEval };
  const [c, l, better] =
    rule.metric === 'log_loss'
      ? [candidateEval.logLoss, liveEval.logLoss, candidateEval.logLoss <= liveEval.logLoss + rule.tolerance]
      : [candidateEval.auc, liveEval.auc, candidateEval.auc >= liveEval.auc - rule.tolerance];
  const metric = rule.metric === 'log_loss' ? 'log loss' : 'AUC';
  return {
    promote: better,
    reason: `holdout ${metric} ${c.toFixed(5)} vs live v${live.version} ${l.toFixed(5)} on ${rows.length} rows (tolerance ${rule.tolerance}): ${better ? 'not worse' : 'worse'}`,
    comparison,
  };
}
