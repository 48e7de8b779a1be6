import { calibrationByDecile, expectedCalibrationError, logLoss, rocAuc } from './metrics';

describe('rocAuc', () => {
  it('is 1 for a perfect ranking, 0 for a reversed one', () => {
    expect(rocAuc([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])).toBe(1);
    expect(rocAuc([1, 1, 0, 0], [0.1, 0.2, 0.8, 0.9])).toBe(0);
  });

  it('is 0.5 when every score ties', () => {
    expect(rocAuc([0, 1, 0, 1, 1], [0.3, 0.3, 0.3, 0.3, 0.3])).toBe(0.5);
  });

  it('counts a tied positive/negative pair as one half', () => {
    // Pairs (pos, neg): (0.8 > 0.2) = 1, (0.8 > 0.5) = 1, (0.5 = 0.5) = 0.5, (0.5 > 0.2) = 1 → 3.5 / 4.
    expect(rocAuc([1, 0, 1, 0], [0.8, 0.5, 0.5, 0.2])).toBe(0.875);
  });

  it('matches the pairwise definition on a mixed example', () => {
    const labels = [1, 0, 1, 0, 0, 1, 0, 1, 1, 0];
    const scores = [0.9, 0.4, 0.4, 0.1, 0.7, 0.6, 0.4, 0.2, 0.9, 0.3];
    let wins = 0;
    let pairs = 0;
    labels.forEach((li, i) =>
      labels.forEach((lj, j) => {
        if (li !== 1 || lj !== 0) return;
        pairs++;
        wins += scores[i]! > scores[j]! ? 1 : scores[i] === scores[j] ? 0.5 : 0;
      }),
    );
    expect(rocAuc(labels, scores)).toBeCloseTo(wins / pairs, 12);
  });

  it('is NaN when a class is missing, and rejects mismatched lengths', () => {
    expect(rocAuc([1, 1], [0.2, 0.4])).toBeNaN();
    expect(rocAuc([], [])).toBeNaN();
    expect(() => rocAuc([1, 0], [0.5])).toThrow(/2 labels but 1 scores/);
  });
});

describe('logLoss', () => {
  it('is ln 2 for p = 0.5 everywhere', () => {
    expect(logLoss([0, 1, 1], [0.5, 0.5, 0.5])).toBeCloseTo(Math.LN2, 12);
  });

  it('averages -ln p of the true class', () => {
    expect(logLoss([1, 0], [0.8, 0.25])).toBeCloseTo((-Math.log(0.8) - Math.log(0.75)) / 2, 12);
  });

  it('stays finite for confident mistakes by clipping', () => {
    expect(logLoss([1], [0])).toBeCloseTo(-Math.log(1e-15), 9);
    expect(logLoss([0], [1])).toBeLessThan(35);
    expect(logLoss([], [])).toBeNaN();
  });
});

describe('expectedCalibrationError', () => {
  it('is 0 when each bin predicts its observed rate, and weighs each bin by its rows', () => {
    // Bin [0.2, 0.3): p 0.25 for 4 rows, one positive → calibrated. Bin [0.9, 1]: p 0.9 for 2 rows, none positive.
    expect(expectedCalibrationError([1, 0, 0, 0], [0.25, 0.25, 0.25, 0.25])).toBe(0);
    expect(expectedCalibrationError([1, 0, 0, 0, 0, 0], [0.25, 0.25, 0.25, 0.25, 0.9, 0.9])).toBeCloseTo((2 / 6) * 0.9, 12);
    // p = 1 belongs to the top bin.
    expect(expectedCalibrationError([1], [1])).toBe(0);
    expect(expectedCalibrationError([], [])).toBeNaN();
  });
});

describe('calibrationByDecile', () => {
  it('cuts rows sorted by prediction into equal groups with mean prediction and observed rate', () => {
    const probabilities = Array.from({ length: 20 }, (_, i) => i / 20);
    const labels = probabilities.map((_, i) => (i >= 10 ? 1 : 0));
    const deciles = calibrationByDecile(labels, probabilities);
    expect(deciles).toHaveLength(10);
    expect(deciles[0]).toEqual({ upTo: 0.05, rows: 2, meanPredicted: 0.025, observedRate: 0 });
    expect(deciles[9]).toEqual({ upTo: 0.95, rows: 2, meanPredicted: 0.925, observedRate: 1 });
    expect(calibrationByDecile([1, 0, 1], [0.2, 0.1, 0.3])).toHaveLength(3); // fewer rows than buckets: no empty ones
  });
});
