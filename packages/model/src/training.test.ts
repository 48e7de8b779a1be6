import { seededRandom } from '@telltale/testing';
import { FEATURE_TRANSFORM } from './model-inputs';
import { compileModel } from './probability';
import { chooseInputs, evaluate, scoreRows, splitTrainingSet, trainModel } from './training';
import { inputMatrix, trainingSetOf, type TrainingRowInput } from './training-set';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * Sessions of up to 4 snapshots, one starting every `gapMs`. Buyers add to cart and (mostly) purchase; the label of
 * a snapshot is 1 when its session purchases later.
 */
function sessions(count: number, opts: { seed?: number; gapMs?: number; t0?: number } = {}): TrainingRowInput[] {
  const random = seededRandom(opts.seed ?? 1);
  const rows: TrainingRowInput[] = [];
  for (let s = 0; s < count; s++) {
    const start = (opts.t0 ?? 1_700_000_000_000) + s * (opts.gapMs ?? 1000);
    const intent = random() * 2 - 1;
    const buys = random() < 1 / (1 + Math.exp(-(5 * intent - 1)));
    let carts = 0;
    let clicks = 0;
    const snapshots = 2 + Math.floor(random() * 3);
    for (let k = 0; k < snapshots; k++) {
      const kind = k === 0 ? 'page_view' : random() < 0.4 + 0.4 * intent ? 'add_to_cart' : 'click';
      if (kind === 'add_to_cart') carts++;
      if (kind === 'click') clicks++;
      const at = start + k * 2000;
      const hour = (at / HOUR) % 24;
      rows.push({
        sessionId: `s${s}`,
        eventKind: kind,
        eventTimeMs: at,
        features: {
          session_events: k + 1,
          session_clicks: clicks,
          session_add_to_carts: carts,
          session_cart_value: carts * 30,
          session_duration_s: k * 2,
          hour_sin: Math.sin((2 * Math.PI * hour) / 24),
          hour_cos: Math.cos((2 * Math.PI * hour) / 24),
          is_weekend: 0,
          user_prior_sessions: 0,
        },
        label: buys ? 1 : 0,
      });
    }
  }
  return rows;
}

const opts = { testFraction: 0.25, holdoutFraction: 0.2, seed: 'test' };

describe('splitTrainingSet', () => {
  const set = trainingSetOf(sessions(2000));
  const split = splitTrainingSet(set, opts);
  const sessionsOf = (rows: Int32Array) => new Set(Array.from(rows, (i) => set.sessionCodes[i]!));

  it('puts every row on exactly one side and no session on two', () => {
    expect(split.train.length + split.test.length + split.holdout.length).toBe(set.rows);
    const [train, test, holdout] = [sessionsOf(split.train), sessionsOf(split.test), sessionsOf(split.holdout)];
    for (const s of test) expect(train.has(s) || holdout.has(s)).toBe(false);
    for (const s of holdout) expect(train.has(s)).toBe(false);
  });

  it('holds out the newest sessions, and about testFraction of the older ones by hash', () => {
    expect(sessionsOf(split.holdout).size).toBe(400);
    const startOf = new Map<number, number>();
    for (let i = 0; i < set.rows; i++) startOf.set(set.sessionCodes[i]!, Math.min(startOf.get(set.sessionCodes[i]!) ?? Infinity, set.eventTimeMs[i]!));
    const starts = (rows: Int32Array) => [...sessionsOf(rows)].map((s) => startOf.get(s)!);
    expect(Math.max(...starts(split.train), ...starts(split.test))).toBeLessThan(Math.min(...starts(split.holdout)));
    expect(split.holdoutFromMs).toBe(1_700_000_000_000 + 1600 * 1000);
    const share = sessionsOf(split.test).size / 1600;
    expect(share).toBeGreaterThan(0.2);
    expect(share).toBeLessThan(0.3);
  });

  it('is the same whatever the row order, and changes with the seed', () => {
    const reversed = trainingSetOf(sessions(2000).reverse());
    const again = splitTrainingSet(reversed, opts);
    const ids = (s: typeof set, rows: Int32Array) => Array.from(rows, (i) => `${s.sessionIds[s.sessionCodes[i]!]}@${s.eventTimeMs[i]}`).sort();
    expect(ids(reversed, again.test)).toEqual(ids(set, split.test));
    expect(ids(reversed, again.holdout)).toEqual(ids(set, split.holdout));
    expect(ids(set, splitTrainingSet(set, { ...opts, seed: 'other' }).test)).not.toEqual(ids(set, split.test));
  });

  it('rejects fractions outside (0, 1)', () => {
    expect(() => splitTrainingSet(set, { ...opts, testFraction: 1 })).toThrow(/testFraction/);
    expect(() => splitTrainingSet(set, { ...opts, holdoutFraction: 0 })).toThrow(/holdoutFraction/);
  });
});

describe('chooseInputs', () => {
  it('leaves the time features out while the data spans less than a week (weekend: four weeks), and drops constants', () => {
    const hours = trainingSetOf(sessions(300, { gapMs: 60_000 }));
    const all = Int32Array.from({ length: hours.rows }, (_, i) => i);
    const short = chooseInputs(hours, all);
    expect(short.inputs).not.toContain('hour_sin');
    expect(short.dropped).toEqual(expect.arrayContaining([{ name: 'hour_sin', reason: 'time' }, { name: 'is_weekend', reason: 'time' }]));
    // Absent from the data (searches) or constant in it (prior sessions, the 'other' kind): they carry nothing.
    expect(short.dropped).toEqual(expect.arrayContaining([
      { name: 'session_searches', reason: 'constant' },
      { name: 'user_prior_sessions', reason: 'constant' },
      { name: 'event_kind_other', reason: 'constant' },
    ]));
    expect(short.inputs).toEqual(expect.arrayContaining(['session_add_to_carts', 'log1p_session_add_to_carts', 'event_kind_add_to_cart', 'has_cart', 'seconds_per_event']));

    const weeks = trainingSetOf(sessions(300, { gapMs: 8 * HOUR }));
    const weekAll = Int32Array.from({ length: weeks.rows }, (_, i) => i);
    const long = chooseInputs(weeks, weekAll);
    expect(long.inputs).toEqual(expect.arrayContaining(['hour_sin', 'hour_cos']));
    // 100 days of data, but is_weekend is 0 throughout here: constant, so dropped as carrying nothing.
    expect(long.dropped).toContainEqual({ name: 'is_weekend', reason: 'constant' });
    expect(chooseInputs(hours, all, 'always').inputs).toContain('hour_sin');
    expect(chooseInputs(weeks, weekAll, 'never').inputs).not.toContain('hour_sin');
    expect(300 * 8 * HOUR).toBeGreaterThan(28 * DAY);
  });

  it('takes a session feature it has never heard of as an input of its own', () => {
    const rows = sessions(100).map((r, i) => ({ ...r, features: { ...r.features, brand_new_feature: i % 7 } }));
    const set = trainingSetOf(rows);
    expect(chooseInputs(set, Int32Array.from({ length: set.rows }, (_, i) => i)).inputs).toContain('brand_new_feature');
  });

  it('returns the chosen inputs of the training rows as a matrix', () => {
    const set = trainingSetOf(sessions(50));
    const rows = Int32Array.from([3, 1, 4]);
    const choice = chooseInputs(set, rows);
    expect(choice.matrix).toEqual(inputMatrix(set, rows, choice.inputs, FEATURE_TRANSFORM));
  });
});

describe('trainModel', () => {
  const set = trainingSetOf(sessions(4000));
  const outcome = trainModel(set, opts);
  if (outcome.kind !== 'trained') throw new Error(outcome.message);

  it('learns the signal and measures the model on both held-out sets', () => {
    expect(outcome.test.auc).toBeGreaterThan(0.65);
    expect(outcome.holdout.auc).toBeGreaterThan(0.65);
    expect(outcome.test.rows + outcome.holdout.rows + outcome.trainRows).toBe(set.rows);
    expect(outcome.fit.converged).toBe(true);
    expect(outcome.holdout.calibration).toHaveLength(10);
    // The signal's direction: the same session with two add-to-carts instead of clicks scores higher.
    const scorer = compileModel(outcome.model);
    const session = (carts: number) => ({ eventKind: 'click', features: { session_events: 3, session_clicks: 2 - carts, session_add_to_carts: carts, session_cart_value: 30 * carts, session_duration_s: 4 } });
    expect(scorer.probability(session(2))).toBeGreaterThan(scorer.probability(session(0)) + 0.1);
  });

  it('reports metrics of the very model it returns, scored the way the scorer scores a feature vector', () => {
    const scorer = compileModel(outcome.model);
    const probabilities = Array.from(outcome.split.holdout, (i) =>
      scorer.probability({
        eventKind: set.eventKinds[set.eventKindCodes[i]!]!,
        features: Object.fromEntries(set.featureNames.map((name, f) => [name, set.features[f]![i]!])),
      }),
    );
    expect(Array.from(scoreRows(outcome.model, set, outcome.split.holdout))).toEqual(probabilities);
    const labels = Array.from(outcome.split.holdout, (i) => set.labels[i]!);
    expect(evaluate(labels, probabilities)).toEqual(outcome.holdout);
  });

  it('refuses one-class data, and a split that leaves one class on a side', () => {
    const negatives = trainingSetOf(sessions(200).map((r) => ({ ...r, label: 0 as const })));
    expect(trainModel(negatives, opts)).toMatchObject({ kind: 'skipped', reason: 'one_class' });
    // One positive session only: some side has negatives only.
    const one = trainingSetOf(sessions(200).map((r) => ({ ...r, label: r.sessionId === 's5' ? (1 as const) : (0 as const) })));
    expect(trainModel(one, opts)).toMatchObject({ kind: 'skipped', reason: 'one_class_in_split' });
  });
});
