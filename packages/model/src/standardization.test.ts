import { fitMatrixStandardization, standardizeMatrix } from './standardization';

describe('fitMatrixStandardization', () => {
  it('computes means and population stds per column', () => {
    const s = fitMatrixStandardization(Float64Array.from([1, 10, 3, 10, 5, 10]), 3, 2);
    expect(s.means).toEqual([3, 10]);
    expect(s.stds[0]).toBeCloseTo(Math.sqrt(8 / 3), 12);
    // Constant column: std 0 becomes 1.
    expect(s.stds[1]).toBe(1);
  });

  it('ignores missing and non-finite values, and defaults a never-present column to mean 0 / std 1', () => {
    const s = fitMatrixStandardization(Float64Array.from([2, Number.NaN, Number.NaN, Number.NaN, Number.POSITIVE_INFINITY, Number.NaN, 4, Number.NaN]), 4, 2);
    expect(s.means).toEqual([3, 0]);
    expect(s.stds).toEqual([1, 1]);
  });
});

describe('standardizeMatrix', () => {
  it('turns values into z-scores in place, and missing or non-finite values into 0', () => {
    const x = Float64Array.from([1, 120, Number.NaN, Number.NEGATIVE_INFINITY]);
    standardizeMatrix(x, 2, 2, { means: [3, 100], stds: [2, 10] });
    expect(Array.from(x)).toEqual([-1, 2, 0, 0]);
  });
});
