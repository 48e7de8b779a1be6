import type { Model } from '@telltale/contracts';
import { trainingSetOf, type TrainingRowInput } from '@telltale/model';
import { fitModel, type Candidate } from './model-fitting';
import { decidePromotion } from './promotion';

const T0 = 1_700_000_000_000;

/** 500 sessions, one a second; carts predict the purchase. */
function rows(): TrainingRowInput[] {
  return Array.from({ length: 500 }, (_, s) =>
    [1, 2, 3].map((k) => ({
      sessionId: `s${s}`,
      eventKind: k === 1 ? 'page_view' : 'click',
      eventTimeMs: T0 + s * 1000 + k,
      features: { session_events: k, session_add_to_carts: Math.min(s % 4, k - 1) },
      label: ((s % 4 >= 2) !== (s % 13 === 0) ? 1 : 0) as 0 | 1,
    })),
  ).flat();
}

const set = trainingSetOf(rows());
const outcome = fitModel(set, { name: 'm', runId: 'r', minRows: 10, testFraction: 0.25, holdoutFraction: 0.2, seed: 's', l2: 1, timeFeatures: 'gated', now: () => T0 });
if (outcome.kind !== 'trained') throw new Error('expected a model');
const candidate: Candidate = outcome.candidate;

/** A published model: the candidate itself, or a variant of it. */
const live = (version: number, changes: Partial<Model> = {}): Model => ({ ...candidate.model, version, ...changes });
/** The candidate with its weights turned against the signal: clearly worse. */
const reversed: Candidate = { ...candidate, model: { ...candidate.model, weights: candidate.model.weights.map((w) => -w) } };
const rule = { metric: 'log_loss' as const, tolerance: 0 };

describe('decidePromotion', () => {
  it('promotes the first model, every model under rule none, and over a live model the scorer cannot use', () => {
    expect(decidePromotion(candidate, set, undefined, rule)).toMatchObject({ promote: true, reason: 'no live model yet' });
    expect(decidePromotion(reversed, set, live(1), { metric: 'none', tolerance: 0 }).promote).toBe(true);
    expect(decidePromotion(candidate, set, live(1, { featureTransform: 'telltale.inputs.v999' }), rule).reason).toMatch(/live model v1 is unusable/);
  });

  it('keeps the live model when the candidate is worse on the same holdout rows, and says by how much', () => {
    const decision = decidePromotion(reversed, set, live(4), rule);
    expect(decision.promote).toBe(false);
    expect(decision.reason).toMatch(/^holdout log loss \d\.\d{5} vs live v4 \d\.\d{5} on 300 rows \(tolerance 0\): worse$/);
    expect(decision.comparison!.candidate.logLoss).toBeGreaterThan(decision.comparison!.live.logLoss);
    // The same model is not worse than itself: promoted (a fresher copy replaces the live one).
    expect(decidePromotion(candidate, set, live(4), rule).promote).toBe(true);
    expect(decidePromotion(reversed, set, live(4, { weights: candidate.model.weights.map((w) => -w) }), rule).promote).toBe(true);
  });

  it('can decide on AUC, with a tolerance', () => {
    const strict = decidePromotion(reversed, set, live(2), { metric: 'auc', tolerance: 0 });
    expect(strict).toMatchObject({ promote: false });
    expect(strict.reason).toMatch(/^holdout AUC/);
    expect(decidePromotion(reversed, set, live(2), { metric: 'auc', tolerance: 1 }).promote).toBe(true);
  });

  it('compares only on sessions newer than the live model’s training data', () => {
    // The live model held out sessions from s450 on: it may have trained on s400–s449, which the candidate held out.
    const newer = decidePromotion(candidate, set, live(3, { metrics: { ...candidate.model.metrics, holdout: { ...candidate.model.metrics.holdout!, fromTime: T0 + 450_000 } } }), rule);
    expect(newer.comparison!.rows).toBe(150);
    const none = decidePromotion(candidate, set, live(3, { metrics: { ...candidate.model.metrics, holdout: { ...candidate.model.metrics.holdout!, fromTime: T0 + 600_000 } } }), rule);
    expect(none).toMatchObject({ promote: false });
    expect(none.reason).toMatch(/only 0 holdout rows .* no fair comparison/);
  });
});
