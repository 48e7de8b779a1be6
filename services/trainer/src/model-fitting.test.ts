import { scoreProbability } from '@telltale/model';
import { fitModel, type FitOptions } from './model-fitting';
import { FitCancelledError, fitModelOnThread } from './model-fitting.thread';
import type { TrainingRow } from './training-data';

const opts: FitOptions = {
  name: 'purchase_propensity',
  version: 3,
  minRows: 50,
  testFraction: 0.25,
  seed: 'test',
  learningRate: 0.5,
  steps: 300,
  now: () => 1_700_000_000_000,
};

/** 200 sessions × 3 snapshots; sessions with add-to-carts purchase (with some exceptions). */
function rows(sessions = 200): TrainingRow[] {
  const out: TrainingRow[] = [];
  for (let s = 0; s < sessions; s++) {
    const carts = s % 4;
    const label = (carts >= 2) !== (s % 17 === 0) ? 1 : 0;
    for (let k = 1; k <= 3; k++) {
      out.push({
        sessionId: `s${s}`,
        messageId: `m${s}-${k}`,
        features: { session_events: k, session_add_to_carts: Math.min(carts, k), hour_sin: Math.sin(s) },
        label,
      });
    }
  }
  return out;
}

describe('fitModel', () => {
  it('trains, measures on the held-out sessions and fills the Model record', () => {
    const outcome = fitModel(rows(), opts);
    if (outcome.kind !== 'trained') throw new Error(`expected a model, got ${outcome.message}`);
    const { model } = outcome;
    expect(model).toMatchObject({ name: 'purchase_propensity', version: 3, trainedAt: 1_700_000_000_000 });
    expect(model.featureNames).toEqual(['hour_sin', 'session_add_to_carts', 'session_events']);
    expect(model.metrics.trainRows + model.metrics.testRows).toBe(600);
    expect(model.metrics.testRows % 3).toBe(0); // whole sessions only
    expect(model.metrics.auc).toBeGreaterThan(0.8);
    expect(model.metrics.logLoss).toBeLessThan(Math.LN2);
    expect(scoreProbability(model, { session_add_to_carts: 3, session_events: 3 })).toBeGreaterThan(
      scoreProbability(model, { session_add_to_carts: 0, session_events: 3 }),
    );
  });

  it('refuses too few rows', () => {
    expect(fitModel(rows(10), opts)).toMatchObject({ kind: 'skipped', reason: 'too_few_rows', rows: 30 });
  });

  it('refuses one-class data', () => {
    const negatives = rows().map((r) => ({ ...r, label: 0 as const }));
    expect(fitModel(negatives, opts)).toMatchObject({ kind: 'skipped', reason: 'one_class', positives: 0 });
  });

  it('refuses when the split leaves one class on a side', () => {
    // One positive session only: it lands on one side of the split, the other side has negatives only.
    const data = rows(40).map((r) => ({ ...r, label: r.sessionId === 's5' ? (1 as const) : (0 as const) }));
    expect(fitModel(data, { ...opts, minRows: 10 })).toMatchObject({ kind: 'skipped', reason: 'one_class_in_split' });
  });
});

describe('fitModelOnThread', () => {
  it('trains on a worker thread like fitModel does', async () => {
    const outcome = await fitModelOnThread(rows(), opts);
    expect(outcome).toEqual(fitModel(rows(), opts));
  });

  it('is cancelled by its signal (shutdown) instead of running the fit to the end', async () => {
    const controller = new AbortController();
    // Ten million steps would take hours: only cancellation can settle this promise within the test's timeout.
    const fitting = fitModelOnThread(rows(2000), { ...opts, steps: 10_000_000 }, controller.signal);
    controller.abort();
    await expect(fitting).rejects.toBeInstanceOf(FitCancelledError);
  });
});
