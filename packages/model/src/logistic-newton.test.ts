import { seededRandom } from '@telltale/testing';
import { fitLogisticNewton } from './logistic-newton';
import { fitLogisticReference } from './logistic-regression';
import { fitMatrixStandardization, standardizeMatrix } from './standardization';

/** Standardised rows with correlated columns (like session counters) and labels from known log-odds. */
function synthetic(rows: number, seed: number, trueWeights: number[], intercept: number): { x: Float64Array; y: Uint8Array } {
  const random = seededRandom(seed);
  const cols = trueWeights.length;
  const x = new Float64Array(rows * cols);
  const y = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) {
    const shared = random() * 2 - 1;
    let eta = intercept;
    for (let j = 0; j < cols; j++) {
      const v = 0.6 * shared + (random() * 2 - 1);
      x[i * cols + j] = v;
      eta += trueWeights[j]! * v;
    }
    y[i] = random() < 1 / (1 + Math.exp(-eta)) ? 1 : 0;
  }
  standardizeMatrix(x, rows, cols, fitMatrixStandardization(x, rows, cols));
  return { x, y };
}

/** ∇ of the penalised objective: Xᵀ(μ − y) + l2·w (and the intercept's row without penalty). */
function gradientAt(x: Float64Array, y: Uint8Array, cols: number, w: ArrayLike<number>, b: number, l2: number): number[] {
  const g = new Array<number>(cols + 1).fill(0);
  for (let i = 0; i < y.length; i++) {
    let eta = b;
    for (let j = 0; j < cols; j++) eta += w[j]! * x[i * cols + j]!;
    const r = 1 / (1 + Math.exp(-eta)) - y[i]!;
    for (let j = 0; j < cols; j++) g[j]! += r * x[i * cols + j]!;
    g[cols]! += r;
  }
  for (let j = 0; j < cols; j++) g[j]! += l2 * w[j]!;
  return g;
}

describe('fitLogisticNewton', () => {
  it('reaches the coefficients of the reference learner (ml-logistic-regression run to convergence) within 1e-6', () => {
    const cols = 3;
    const { x, y } = synthetic(1500, 11, [1.2, -0.7, 0.3], -0.8);
    const newton = fitLogisticNewton(x, 1500, cols, y, { l2: 0 });
    // The library's plain gradient descent needs thousands of steps where Newton needs a handful.
    const reference = fitLogisticReference(x, 1500, cols, y, { learningRate: 2, steps: 4000 });
    expect(newton.converged).toBe(true);
    expect(newton.iterations).toBeLessThan(12);
    for (let j = 0; j < cols; j++) expect(Math.abs(newton.weights[j]! - reference.weights[j]!)).toBeLessThan(1e-6);
    expect(Math.abs(newton.intercept - reference.intercept)).toBeLessThan(1e-6);
  });

  it('stops at the optimum of the penalised objective: the gradient there is zero', () => {
    const cols = 6;
    const { x, y } = synthetic(5000, 3, [0.9, 0.4, -1.1, 0, 0.2, 2], -1.5);
    for (const l2 of [0, 1, 50]) {
      const fit = fitLogisticNewton(x, 5000, cols, y, { l2 });
      expect(fit.converged).toBe(true);
      const g = gradientAt(x, y, cols, fit.weights, fit.intercept, l2);
      // Summed over 5000 rows: 1e-6 is many orders below the gradient at the start (hundreds).
      for (const component of g) expect(Math.abs(component)).toBeLessThan(1e-6);
    }
  });

  it('recovers the generating coefficients from enough rows', () => {
    const truth = [0.9, 0.4, -1.1, 0];
    const { x, y } = synthetic(40_000, 5, truth, -1);
    const raw = synthetic(40_000, 5, truth, -1); // same draw, to learn the scale of each standardised column
    expect(raw.x).toEqual(x);
    const fit = fitLogisticNewton(x, 40_000, truth.length, y);
    // Standardised columns have std ≈ sqrt(1/3 + 0.36/3) ≈ 0.67 here, so a standardised weight ≈ 0.67 × the true one.
    fit.weights.forEach((w, j) => expect(w).toBeCloseTo(truth[j]! * Math.sqrt(1 / 3 + 0.36 / 3), 1));
  });

  it('shrinks weights as the penalty grows, never the intercept', () => {
    const { x, y } = synthetic(2000, 9, [1, -1], 0.5);
    const norm = (l2: number) => {
      const fit = fitLogisticNewton(x, 2000, 2, y, { l2 });
      return Math.hypot(...fit.weights);
    };
    expect(norm(0)).toBeGreaterThan(norm(100));
    expect(norm(100)).toBeGreaterThan(norm(10_000));
    expect(norm(1e9)).toBeLessThan(1e-4);
  });

  it('converges when two columns are identical (a singular Hessian without penalty)', () => {
    const { x: single, y } = synthetic(2000, 4, [1.5], 0);
    const x = new Float64Array(4000);
    for (let i = 0; i < 2000; i++) x[2 * i] = x[2 * i + 1] = single[i]!;
    const fit = fitLogisticNewton(x, 2000, 2, y, { l2: 0 });
    const alone = fitLogisticNewton(single, 2000, 1, y, { l2: 0 });
    expect(fit.weights[0]! + fit.weights[1]!).toBeCloseTo(alone.weights[0]!, 6);
  });

  it('refuses one class and non-finite values', () => {
    expect(() => fitLogisticNewton(Float64Array.from([1, 2]), 2, 1, [0, 0])).toThrow(/one class/);
    expect(() => fitLogisticNewton(Float64Array.from([1, Number.NaN]), 2, 1, [0, 1])).toThrow(/not finite/);
  });
});

describe('fitLogisticNewton with the Hessian from a sample of the rows', () => {
  it('reaches the optimum exact Newton reaches, where the full gradient vanishes', () => {
    const cols = 5;
    const { x, y } = synthetic(30_000, 21, [0.8, -0.5, 1.2, 0, 0.3], -1.2);
    const exact = fitLogisticNewton(x, 30_000, cols, y);
    const sampled = fitLogisticNewton(x, 30_000, cols, y, { hessianRows: 1000 });
    expect(sampled.converged).toBe(true);
    for (let j = 0; j < cols; j++) expect(Math.abs(sampled.weights[j]! - exact.weights[j]!)).toBeLessThan(1e-7);
    expect(Math.abs(sampled.intercept - exact.intercept)).toBeLessThan(1e-7);
    for (const component of gradientAt(x, y, cols, sampled.weights, sampled.intercept, 1)) expect(Math.abs(component)).toBeLessThan(1e-5);
  });
});
