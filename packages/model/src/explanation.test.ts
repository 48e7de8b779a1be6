import { explainPrediction } from './explanation';
import { FEATURE_TRANSFORM } from './model-inputs';
import { compileModel } from './probability';

const model = {
  featureTransform: FEATURE_TRANSFORM,
  featureNames: ['event_kind_add_to_cart', 'log1p_session_events', 'has_cart', 'session_duration_s'],
  means: [0.1, 1.3, 0.2, 120],
  stds: [0.3, 0.7, 0.4, 90],
  weights: [0.8, 0.35, 1.7, -0.11],
  intercept: -2.9,
};

describe('explainPrediction', () => {
  it('gives coefficient × standardised value per input, the top three by size with sign, and contributions + intercept = the logit', () => {
    const source = { eventKind: 'add_to_cart', features: { session_events: 6, session_add_to_carts: 1, session_duration_s: 400 } };
    const e = explainPrediction(model, source);

    // By hand: z = (x - mean) / std, contribution = weight × z.
    const expected = {
      event_kind_add_to_cart: (0.8 * (1 - 0.1)) / 0.3, // 2.4
      log1p_session_events: (0.35 * (Math.log1p(6) - 1.3)) / 0.7, // ≈ 0.323
      has_cart: (1.7 * (1 - 0.2)) / 0.4, // 3.4
      session_duration_s: (-0.11 * (400 - 120)) / 90, // ≈ -0.342
    };
    for (const c of e.contributions) expect(c.contribution).toBeCloseTo(expected[c.input as keyof typeof expected], 12);
    expect(e.top.map((c) => [c.input, Math.sign(c.contribution)])).toEqual([
      ['has_cart', 1],
      ['event_kind_add_to_cart', 1],
      ['session_duration_s', -1],
    ]);

    // Exactly (toBe, not toBeCloseTo): what the scorer computes for the same vector.
    const compiled = compileModel(model);
    expect(e.logit).toBe(compiled.logOdds(source));
    expect(e.probability).toBe(compiled.probability(source));
    expect(e.contributions.reduce((sum, c) => sum + c.contribution, e.intercept)).toBe(e.logit);
  });

  it('counts a missing input as the average visitor (contribution 0, value null) and leaves it out of the top', () => {
    const e = explainPrediction(model, { eventKind: 'page_view', features: { session_events: 1 } });
    expect(e.contributions.find((c) => c.input === 'session_duration_s')).toEqual({ input: 'session_duration_s', value: null, contribution: 0 });
    expect(e.top.map((c) => c.input)).not.toContain('session_duration_s');
    expect(e.logit).toBe(compileModel(model).logOdds({ eventKind: 'page_view', features: { session_events: 1 } }));
  });
});
