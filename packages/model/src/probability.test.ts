import { validateLinearModel, type LinearModel } from './linear-model';
import { logOdds, scoreProbability, sigmoid } from './probability';

const model: LinearModel = {
  featureNames: ['clicks', 'cart_value'],
  means: [2, 50],
  stds: [1, 25],
  weights: [0.5, 2],
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

describe('scoreProbability', () => {
  it('standardises, applies weights and intercept', () => {
    // z = [(4-2)/1, (100-50)/25] = [2, 2]; log-odds = -1 + 0.5*2 + 2*2 = 4
    expect(logOdds(model, { clicks: 4, cart_value: 100 })).toBe(4);
    expect(scoreProbability(model, { cart_value: 100, clicks: 4 })).toBeCloseTo(1 / (1 + Math.exp(-4)), 12);
  });

  it('treats a missing feature as its mean and ignores unknown features', () => {
    // clicks missing → z 0; log-odds = -1 + 2 * 2 = 3
    expect(scoreProbability(model, { cart_value: 100, brand_new_feature: 99 })).toBeCloseTo(sigmoid(3), 12);
    expect(scoreProbability(model, {})).toBeCloseTo(sigmoid(-1), 12);
  });
});

describe('validateLinearModel', () => {
  it('accepts a consistent model and names the problems of a broken one', () => {
    expect(validateLinearModel(model)).toEqual([]);
    expect(validateLinearModel({ ...model, weights: [1], stds: [0, 1], intercept: Number.NaN })).toEqual([
      'weights has 1 entries for 2 features',
      'stds has entries <= 0',
      'intercept is not finite',
    ]);
  });
});
