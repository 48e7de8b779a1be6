import { validateLinearModel, type LinearModel } from './linear-model';
import { FEATURE_TRANSFORM } from './model-inputs';
import { compileModel, logOdds, scoreInputMatrix, scoreProbability, sigmoid } from './probability';

const model: LinearModel = {
  featureTransform: FEATURE_TRANSFORM,
  featureNames: ['session_clicks', 'log1p_session_cart_value', 'event_kind_add_to_cart'],
  means: [2, 3, 0.1],
  stds: [1, 2, 0.3],
  weights: [0.5, 2, 0.6],
  intercept: -1,
};

describe('sigmoid', () => {
  it('has known values and does not overflow', () => {
    expect(sigmoid(0)).toBe(0.5);
    expect(sigmoid(Math.log(3))).toBeCloseTo(0.75, 12);
    expect(sigmoid(-1000)).toBe(0);
    expect(sigmoid(1000)).toBe(1);
  });
});

describe('scoring a feature vector', () => {
  it('derives the inputs, standardises, applies weights and intercept', () => {
    const cartValue = Math.expm1(7); // log1p = 7 → z = 2
    // z = [(4-2)/1, (7-3)/2, (1-0.1)/0.3] = [2, 2, 3]; log-odds = -1 + 0.5*2 + 2*2 + 0.6*3 = 5.8
    const source = { eventKind: 'add_to_cart', features: { session_clicks: 4, session_cart_value: cartValue } };
    expect(logOdds(model, source)).toBeCloseTo(5.8, 12);
    expect(scoreProbability(model, source)).toBeCloseTo(sigmoid(5.8), 12);
  });

  it('treats a missing input as its mean and ignores features the model does not use', () => {
    // clicks and cart value missing → z 0; page view → one-hot 0 → z = (0-0.1)/0.3
    const p = compileModel(model).probability({ eventKind: 'page_view', features: { brand_new_feature: 99 } });
    expect(p).toBeCloseTo(sigmoid(-1 + (0.6 * -0.1) / 0.3), 12);
  });

  it('scores a matrix of derived inputs exactly as one vector at a time', () => {
    const inputs = Float64Array.from([4, 7, 1, Number.NaN, Number.NaN, 0]);
    const [first, second] = scoreInputMatrix(model, inputs, 2);
    expect(first).toBeCloseTo(sigmoid(5.8), 12);
    expect(second).toBe(compileModel(model).probability({ eventKind: 'click', features: {} }));
  });
});

describe('validateLinearModel', () => {
  it('accepts a consistent model and names the problems of a broken one', () => {
    expect(validateLinearModel(model)).toEqual([]);
    expect(validateLinearModel({ ...model, weights: [1, 1], stds: [0, 1, 1], intercept: Number.NaN, featureTransform: 'x' })).toEqual([
      'weights has 2 entries for 3 features',
      'stds has entries <= 0',
      'intercept is not finite',
      'unknown feature transform "x"',
    ]);
  });
});
