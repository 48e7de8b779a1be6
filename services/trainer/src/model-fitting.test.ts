import { compileModel, trainingSetOf, type TrainingRowInput } from '@telltale/model';
import { fitModel, type FitOptions } from './model-fitting';
import { FitCancelledError, fitModelOnThread } from './model-fitting.thread';

const opts: FitOptions = {
  name: 'purchase_propensity',
  runId: 'run-1',
  minRows: 50,
  testFraction: 0.25,
  holdoutFraction: 0.2,
  seed: 'test',
  l2: 1,
  timeFeatures: 'gated',
  now: () => 1_700_000_000_000,
};

/** Sessions × 3 snapshots, one session a second; sessions with add-to-carts purchase (with some exceptions). */
function rows(sessions = 400): TrainingRowInput[] {
  const out: TrainingRowInput[] = [];
  for (let s = 0; s < sessions; s++) {
    const carts = s % 4;
    const label = (carts >= 2) !== (s % 17 === 0) ? 1 : 0;
    for (let k = 1; k <= 3; k++) {
      out.push({
        sessionId: `s${s}`,
        eventKind: k === 1 ? 'page_view' : 'add_to_cart',
        eventTimeMs: 1_699_990_000_000 + s * 1000 + k * 100,
        features: { session_events: k, session_add_to_carts: Math.min(carts, k - 1), hour_sin: Math.sin(s) },
        label,
      });
    }
  }
  return out;
}

describe('fitModel', () => {
  it('trains, measures on the test split and the time-based holdout, and fills the Model record', () => {
    const outcome = fitModel(trainingSetOf(rows()), opts);
    if (outcome.kind !== 'trained') throw new Error(`expected a model, got ${outcome.message}`);
    const { model, test, holdout } = outcome.candidate;
    expect(model).toMatchObject({ name: 'purchase_propensity', runId: 'run-1', trainedAt: 1_700_000_000_000, featureTransform: 'telltale.inputs.v1' });
    // Less than a week of data: no hour inputs.
    expect(model.featureNames).not.toContain('hour_sin');
    expect(outcome.candidate.dropped).toContainEqual({ name: 'hour_sin', reason: 'time' });
    expect(model.metrics.trainRows + model.metrics.testRows + model.metrics.holdout!.rows).toBe(1200);
    expect(model.metrics.testRows % 3).toBe(0); // whole sessions only
    expect(model.metrics.holdout).toEqual({ fromTime: 1_699_990_000_000 + 320 * 1000 + 100, rows: 240, auc: holdout.auc, logLoss: holdout.logLoss, ece: holdout.ece });
    expect(model.metrics.auc).toBe(test.auc);
    expect(holdout.auc).toBeGreaterThan(0.8);
    expect(model.metrics.logLoss).toBeLessThan(Math.LN2);
    const scorer = compileModel(model);
    const session = (carts: number) => ({ eventKind: 'add_to_cart', features: { session_events: 3, session_add_to_carts: carts } });
    expect(scorer.probability(session(2))).toBeGreaterThan(scorer.probability(session(0)));
    expect(outcome.candidate.dataFromMs).toBe(1_699_990_000_100);
  });

  it('refuses too few rows', () => {
    expect(fitModel(trainingSetOf(rows(10)), opts)).toMatchObject({ kind: 'skipped', reason: 'too_few_rows', rows: 30 });
  });

  it('refuses one-class data', () => {
    const negatives = rows().map((r) => ({ ...r, label: 0 as const }));
    expect(fitModel(trainingSetOf(negatives), opts)).toMatchObject({ kind: 'skipped', reason: 'one_class', positives: 0 });
  });

  it('refuses when a split leaves one class on a side', () => {
    // One positive session only: it lands on one side, the others have negatives only.
    const data = rows(40).map((r) => ({ ...r, label: r.sessionId === 's5' ? (1 as const) : (0 as const) }));
    expect(fitModel(trainingSetOf(data), { ...opts, minRows: 10 })).toMatchObject({ kind: 'skipped', reason: 'one_class_in_split' });
  });
});

describe('fitModelOnThread', () => {
  it('trains on a worker thread like fitModel does', async () => {
    const set = trainingSetOf(rows());
    const onThread = await fitModelOnThread(set, opts);
    const here = fitModel(set, opts);
    if (onThread.kind !== 'trained' || here.kind !== 'trained') throw new Error('expected models');
    expect(onThread.candidate.model).toEqual(here.candidate.model);
    expect(onThread.candidate.holdout).toEqual(here.candidate.holdout);
  });

  it('is cancelled by its signal (shutdown) instead of running the fit to the end', async () => {
    const controller = new AbortController();
    const fitting = fitModelOnThread(trainingSetOf(rows(20_000)), opts, controller.signal);
    controller.abort();
    await expect(fitting).rejects.toBeInstanceOf(FitCancelledError);
  });
});
