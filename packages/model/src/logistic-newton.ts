/**
 * Binary logistic regression fitted by Newton's method (iteratively reweighted least squares) on a row-major
 * Float64Array, with an L2 penalty on the weights (not the intercept):
 *
 *   minimise  Σᵢ [log(1 + e^ηᵢ) − yᵢ ηᵢ] + (l2 / 2) ‖w‖²,   ηᵢ = b + w · xᵢ
 *
 * the objective of scikit-learn's LogisticRegression(C = 1 / l2). With a few dozen columns the Hessian is tiny and
 * the fit converges quadratically: 6–10 steps where gradient descent needs thousands.
 *
 * On many rows the Hessian is what costs (cols²/2 multiply-adds per row against 2·cols for loss and gradient), and it
 * needs far less precision than the gradient: above `hessianRows` rows the Hessian comes from an evenly spread sample
 * of that many rows (first fitted on its own, as a warm start), while loss and gradient always come from every row.
 * The fit still stops only where the full gradient vanishes, so it reaches the same optimum.
 */

export interface NewtonOptions {
  /** L2 penalty on the summed loss; 1 is scikit-learn's default (C = 1). 0 = unpenalised. @default 1 */
  l2?: number;
  /** @default 100 */
  maxIterations?: number;
  /** Converged when no coefficient moves more than this in a step (standardised units). @default 1e-8 */
  tolerance?: number;
  /** Rows the Hessian is computed from, at most (see above). @default 100000 */
  hessianRows?: number;
}

export interface NewtonFit {
  weights: Float64Array;
  intercept: number;
  /** Steps over all rows (the warm start on the sample not counted). */
  iterations: number;
  converged: boolean;
  /** The penalised objective at the solution, per row. */
  meanObjective: number;
}

/** log(1 + e^η), without overflow for large |η|. */
function softplus(eta: number): number {
  return eta > 0 ? eta + Math.log1p(Math.exp(-eta)) : Math.log1p(Math.exp(eta));
}

interface Data {
  x: Float64Array;
  rows: number;
  cols: number;
  labels: ArrayLike<number>;
}

/**
 * One pass over the rows at parameters `b` (cols weights, then the intercept): returns the unpenalised loss and, if
 * asked, adds the unpenalised gradient and the upper triangle of the Hessian into `gradient` / `hessian`.
 */
function pass(data: Data, b: Float64Array, gradient: Float64Array | undefined, hessian: Float64Array | undefined): number {
  const { x, rows, cols, labels } = data;
  const p = cols + 1;
  const row = new Float64Array(p);
  row[cols] = 1;
  let loss = 0;
  for (let i = 0; i < rows; i++) {
    const offset = i * cols;
    let eta = b[cols]!;
    for (let j = 0; j < cols; j++) eta += b[j]! * x[offset + j]!;
    const y = labels[i] === 1 ? 1 : 0;
    loss += softplus(eta) - y * eta;
    if (!gradient) continue;
    const mu = eta >= 0 ? 1 / (1 + Math.exp(-eta)) : Math.exp(eta) / (1 + Math.exp(eta));
    const residual = mu - y;
    for (let j = 0; j < cols; j++) gradient[j] = gradient[j]! + residual * x[offset + j]!;
    gradient[cols] = gradient[cols]! + residual;
    if (!hessian) continue;
    const weight = mu * (1 - mu);
    for (let j = 0; j < cols; j++) row[j] = x[offset + j]!;
    for (let j = 0; j < p; j++) {
      const wj = weight * row[j]!;
      const base = j * p;
      for (let k = j; k < p; k++) hessian[base + k] = hessian[base + k]! + wj * row[k]!;
    }
  }
  return loss;
}

const penaltyOf = (b: Float64Array, cols: number, l2: number) => {
  let sum = 0;
  for (let j = 0; j < cols; j++) sum += b[j]! * b[j]!;
  return (l2 / 2) * sum;
};

/**
 * Newton iterations on `data` from `start`. The Hessian comes from `hessianData`, scaled up to `data`'s row count
 * (the same rows when they are few: then this is exact Newton).
 */
function iterate(
  data: Data,
  hessianData: Data,
  start: Float64Array,
  l2: number,
  maxIterations: number,
  tolerance: number,
): { beta: Float64Array; objective: number; iterations: number; converged: boolean } {
  const { cols } = data;
  const p = cols + 1;
  const scale = data.rows / hessianData.rows;
  let beta = start;
  let gradient = new Float64Array(p);
  let objective = pass(data, beta, gradient, undefined) + penaltyOf(beta, cols, l2);
  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations) {
    iterations++;
    for (let j = 0; j < cols; j++) gradient[j] = gradient[j]! + l2 * beta[j]!;
    const hessian = new Float64Array(p * p);
    pass(hessianData, beta, new Float64Array(p), hessian);
    for (let j = 0; j < p; j++) {
      for (let k = j; k < p; k++) hessian[j * p + k] = hessian[j * p + k]! * scale;
      if (j < cols) hessian[j * p + j] = hessian[j * p + j]! + l2;
      for (let k = 0; k < j; k++) hessian[j * p + k] = hessian[k * p + j]!;
    }
    const step = solveSymmetric(hessian, gradient, p);
    // Damped step: halve until the objective does not rise (a full step can overshoot far from the optimum). The
    // candidate's gradient comes with its loss, so an accepted step costs one pass over the data.
    let stepScale = 1;
    let accepted = false;
    for (let halvings = 0; halvings < 30 && !accepted; halvings++) {
      const candidate = new Float64Array(p);
      for (let j = 0; j < p; j++) candidate[j] = beta[j]! - stepScale * step[j]!;
      const candidateGradient = new Float64Array(p);
      const candidateObjective = pass(data, candidate, candidateGradient, undefined) + penaltyOf(candidate, cols, l2);
      if (candidateObjective <= objective + 1e-12 * Math.abs(objective)) {
        accepted = true;
        beta = candidate;
        gradient = candidateGradient;
        objective = candidateObjective;
      } else {
        stepScale /= 2;
      }
    }
    let largestMove = 0;
    for (let j = 0; j < p; j++) largestMove = Math.max(largestMove, Math.abs(stepScale * step[j]!));
    // No step lowers the objective any more: at the optimum within float precision.
    if (!accepted || largestMove < tolerance) {
      converged = true;
      break;
    }
  }
  return { beta, objective, iterations, converged };
}

/**
 * Fits on `x` (rows × cols, row-major, every value finite: standardise and fill missing values first) and 0/1 labels.
 * Throws when a value is not finite or the labels hold one class only.
 */
export function fitLogisticNewton(x: Float64Array, rows: number, cols: number, labels: ArrayLike<number>, opts: NewtonOptions = {}): NewtonFit {
  const l2 = opts.l2 ?? 1;
  const maxIterations = opts.maxIterations ?? 100;
  const tolerance = opts.tolerance ?? 1e-8;
  const hessianRows = Math.max(1, opts.hessianRows ?? 100_000);
  if (x.length !== rows * cols) throw new Error(`x has ${x.length} values, expected ${rows} × ${cols}`);
  if (labels.length !== rows) throw new Error(`${labels.length} labels for ${rows} rows`);
  let positives = 0;
  for (let i = 0; i < rows; i++) positives += labels[i] === 1 ? 1 : 0;
  if (positives === 0 || positives === rows) throw new Error(`cannot fit on one class (${positives} positive of ${rows})`);
  for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i]!)) throw new Error(`x[${i}] is not finite`);

  const data: Data = { x, rows, cols, labels };
  // Start from the intercept-only solution: the log-odds of the base rate.
  const start = new Float64Array(cols + 1);
  start[cols] = Math.log(positives / (rows - positives));
  if (rows <= hessianRows) {
    const fit = iterate(data, data, start, l2, maxIterations, tolerance);
    return result(fit, rows, cols);
  }
  // Every (rows / hessianRows)-th row: spread over the whole set, whatever its order (newest first, by session).
  const sampleX = new Float64Array(hessianRows * cols);
  const sampleLabels = new Uint8Array(hessianRows);
  for (let s = 0; s < hessianRows; s++) {
    const i = Math.floor((s * rows) / hessianRows);
    sampleX.set(x.subarray(i * cols, (i + 1) * cols), s * cols);
    sampleLabels[s] = labels[i] === 1 ? 1 : 0;
  }
  const sample: Data = { x: sampleX, rows: hessianRows, cols, labels: sampleLabels };
  let samplePositives = 0;
  for (const y of sampleLabels) samplePositives += y;
  // Warm start: the sample's own optimum (penalty scaled to its size), close to the full one; skipped if the sample
  // happens to hold one class.
  const warm =
    samplePositives > 0 && samplePositives < hessianRows ? iterate(sample, sample, start, (l2 * hessianRows) / rows, maxIterations, tolerance * 100).beta : start;
  return result(iterate(data, sample, warm, l2, maxIterations, tolerance), rows, cols);
}

function result(fit: { beta: Float64Array; objective: number; iterations: number; converged: boolean }, rows: number, cols: number): NewtonFit {
  return { weights: fit.beta.slice(0, cols), intercept: fit.beta[cols]!, iterations: fit.iterations, converged: fit.converged, meanObjective: fit.objective / rows };
}

/**
 * Solves H d = g for a symmetric positive definite H (p × p, row-major) by Cholesky. H is XᵀSX + l2·I; when l2 is 0
 * and columns are collinear it is only semi-definite, so a tiny ridge is added until the factorisation succeeds.
 */
function solveSymmetric(h: Float64Array, g: Float64Array, p: number): Float64Array {
  let trace = 0;
  for (let j = 0; j < p; j++) trace += h[j * p + j]!;
  for (let ridge = 0; ; ridge = ridge === 0 ? 1e-12 * (trace / p || 1) : ridge * 100) {
    const l = cholesky(h, p, ridge);
    if (!l) {
      if (ridge > trace) throw new Error('Hessian is not positive definite');
      continue;
    }
    // L y = g, then Lᵀ d = y.
    const y = new Float64Array(p);
    for (let i = 0; i < p; i++) {
      let sum = g[i]!;
      for (let k = 0; k < i; k++) sum -= l[i * p + k]! * y[k]!;
      y[i] = sum / l[i * p + i]!;
    }
    const d = new Float64Array(p);
    for (let i = p - 1; i >= 0; i--) {
      let sum = y[i]!;
      for (let k = i + 1; k < p; k++) sum -= l[k * p + i]! * d[k]!;
      d[i] = sum / l[i * p + i]!;
    }
    return d;
  }
}

/** Lower-triangular L with L Lᵀ = H + ridge·I, or undefined when that is not positive definite. */
function cholesky(h: Float64Array, p: number, ridge: number): Float64Array | undefined {
  const l = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = h[i * p + j]! + (i === j ? ridge : 0);
      for (let k = 0; k < j; k++) sum -= l[i * p + k]! * l[j * p + k]!;
      if (i === j) {
        if (!(sum > 0)) return undefined;
        l[i * p + i] = Math.sqrt(sum);
      } else {
        l[i * p + j] = sum / l[j * p + j]!;
      }
    }
  }
  return l;
}
