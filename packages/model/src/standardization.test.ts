import { fitStandardization, standardize } from './standardization';

describe('fitStandardization', () => {
  it('computes means and population stds per feature', () => {
    const s = fitStandardization(['a', 'b'], [{ a: 1, b: 10 }, { a: 3, b: 10 }, { a: 5, b: 10 }]);
    expect(s.means).toEqual([3, 10]);
    expect(s.stds[0]).toBeCloseTo(Math.sqrt(8 / 3), 12);
    // Constant feature: std 0 becomes 1.
    expect(s.stds[1]).toBe(1);
  });

  it('ignores missing and non-finite values, and defaults a never-seen feature to mean 0 / std 1', () => {
    const s = fitStandardization(['a', 'never'], [{ a: 2 }, { a: Number.NaN }, {}, { a: 4 }]);
    expect(s.means).toEqual([3, 0]);
    expect(s.stds).toEqual([1, 1]);
  });
});

describe('standardize', () => {
  const s = { means: [3, 100], stds: [2, 10] };

  it('returns z-scores in featureNames order', () => {
    expect(standardize(['a', 'b'], s, { b: 120, a: 1 })).toEqual([-1, 2]);
  });

  it('maps missing or non-finite features to 0 and ignores unknown ones', () => {
    expect(standardize(['a', 'b'], s, { a: Number.POSITIVE_INFINITY, extra: 5 })).toEqual([0, 0]);
  });
});
