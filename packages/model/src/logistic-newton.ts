/**
 * Binary logistic regression fitted by Newton's method (iteratively reweighted least squares) on a row-major
 * Float64Array, with an L2 penalty on the weights (not the intercept):
 *
 *   minimise  Σᵢ [log(1 + e^ηᵢ) − yᵢ ηᵢ] + (l2 / 2) ‖w‖²,   ηᵢ = b + w · xᵢ
 *
 * the objective of scikit-learn's LogisticRegression(C = 1 / l2). With a few dozen columns the Hessian is tiny, so a
 * step costs two passes over the data (one for η and the loss, one for gradient and Hessian, fused below) and the
 * fit converges quadratically: 6–10 steps where gradient descent needs thousands.
 */

export interface NewtonOptions {
  /** L2 penalty on the summed loss; 1 is scikit-learn's default (C = 1). 0 = unpenalised. @default 1 */
  l2?: number;
  /** @default 50 */
  maxIterations?: number;
  /** Converged when no coefficient moves more than this in a step (standardised units). @default 1e-8 */
  tolerance?: number;
}

export interface NewtonFit {
  weights: Float64Array;
  intercept: number;
  iterations: number;
  converged: boolean;
  /** The penalised objective at the solution, per row. */
  meanObjective: number;
}

/** log(1 + e^η), without overflow for large |η|. */
function softplus(eta: number): number {
  return eta > 0 ? eta + Math.log1p(Math.exp(-eta)) : Math.log1p(Math.exp(eta));
}

/**
 * Fits on `x` (rows × cols, row-major, every value finite: standardise and fill missing values first) and 0/1 labels.
 * Throws when a value is not finite or the labels hold one class only.
 */
export function fitLogisticNewton(x: Float64Array, rows: number, cols: number, labels: ArrayLike<number>, opts: NewtonOptions = {}): NewtonFit {
  const l2 = opts.l2 ?? 1;
  const maxIterations = opts.maxIterations ?? 50;
  const tolerance = opts.tolerance ?? 1e-8;
  if (x.length !== rows * cols) throw new Error(`x has ${x.length} values, expected ${rows} × ${cols}`);
  if (labels.length !== rows) throw new Error(`${labels.length} labels for ${rows} rows`);
  let positives = 0;
  for (let i = 0; i < rows; i++) positives += labels[i] === 1 ? 1 : 0;
  if (positives === 0 || positives === rows) throw new Error(`cannot fit on one class (${positives} positive of ${rows})`);
  for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i]!)) throw new Error(`x[${i}] is not finite`);

  // Parameters: cols weights, then the intercept (an implicit column of ones).
  const p = cols + 1;
  // Start from the intercept-only solution: the log-odds of the base rate.
  let beta = new Float64Array(p);
  beta[cols] = Math.log(positives / (rows - positives));
  const gradient = new Float64Array(p);
  const hessian = new Float64Array(p * p);
  const row = new Float64Array(p);
  row[cols] = 1;

  /** Loss, gradient and (upper triangle of the) Hessian at `b`, in one pass over the rows. */
  const evaluate = (b: Float64Array, withDerivatives: boolean): number => {
    let loss = 0;
    if (withDerivatives) {
      gradient.fill(0);
      hessian.fill(0);
    }
    for (let i = 0; i < rows; i++) {
      const offset = i * cols;
      let eta = b[cols]!;
      for (let j = 0; j < cols; j++) eta += b[j]! * x[offset + j]!;
      const y = labels[i] === 1 ? 1 : 0;
      loss += softplus(eta) - y * eta;
      if (!withDerivatives) continue;
      const mu = eta >= 0 ? 1 / (1 + Math.exp(-eta)) : Math.exp(eta) / (1 + Math.exp(eta));
      const residual = mu - y;
      const weight = mu * (1 - mu);
      for (let j = 0; j < cols; j++) row[j] = x[offset + j]!;
      for (let j = 0; j < p; j++) {
        const rj = row[j]!;
        gradient[j] = gradient[j]! + residual * rj;
        const wj = weight * rj;
        const base = j * p;
        for (let k = j; k < p; k++) hessian[base + k] = hessian[base + k]! + wj * row[k]!;
      }
    }
    let penalty = 0;
    for (let j = 0; j < cols; j++) penalty += b[j]! * b[j]!;
    if (withDerivatives) {
      for (let j = 0; j < cols; j++) {
        gradient[j] = gradient[j]! + l2 * b[j]!;
        hessian[j * p + j] = hessian[j * p + j]! + l2;
      }
      for (let j = 0; j < p; j++) for (let k = 0; k < j; k++) hessian[j * p + k] = hessian[k * p + j]!;
    }
    return loss + (l2 / 2) * penalty;
  };

  let objective = evaluate(beta, true);
  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations) {
    iterations++;
    const step = solveSymmetric(hessian, gradient, p);
    // Damped step: halve until the objective does not rise (a full Newton step can overshoot far from the optimum).
    let scale = 1;
    let candidate = new Float64Array(p);
    let candidateObjective = Number.POSITIVE_INFINITY;
    for (let halvings = 0; halvings < 30; halvings++) {
      for (let j = 0; j < p; j++) candidate[j] = beta[j]! - scale * step[j]!;
      candidateObjective = evaluate(candidate, false);
      if (candidateObjective <= objective + 1e-12 * Math.abs(objective)) break;
      scale /= 2;
    }
    let largestMove = 0;
    for (let j = 0; j < p; j++) largestMove = Math.max(largestMove, Math.abs(scale * step[j]!));
    if (!(candidateObjective <= objective + 1e-12 * Math.abs(objective))) {
      converged = true; // no step lowers the objective any more: at the optimum within float precision
      break;
    }
    beta = candidate;
    candidate = new Float64Array(p);
    objective = evaluate(beta, true);
    if (largestMove < tolerance) {
      converged = true;
      break;
    }
  }
  return { weights: beta.slice(0, cols), intercept: beta[cols]!, iterations, converged, meanObjective: objective / rows };
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
