/**
 * Area under the ROC curve from ranks (Mann-Whitney U): the probability that a random positive scores above a
 * random negative, ties counting one half. NaN when either class is absent (the AUC is undefined then).
 */
export function rocAuc(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  if (labels.length !== scores.length) throw new Error(`rocAuc: ${labels.length} labels but ${scores.length} scores`);
  const n = labels.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let positives = 0;
  let positiveRankSum = 0;
  for (let start = 0; start < n; ) {
    // A run of tied scores shares the average of the ranks it spans (1-based).
    let end = start + 1;
    while (end < n && scores[order[end]!] === scores[order[start]!]) end++;
    const averageRank = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) {
      if (labels[order[k]!] === 1) {
        positives++;
        positiveRankSum += averageRank;
      }
    }
    start = end;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  return (positiveRankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/**
 * Mean binary cross-entropy, natural log. Probabilities are clipped to [eps, 1 - eps] so one confident mistake
 * costs a large but finite amount. NaN for no rows.
 */
export function logLoss(labels: ArrayLike<number>, probabilities: ArrayLike<number>, eps = 1e-15): number {
  if (labels.length !== probabilities.length) {
    throw new Error(`logLoss: ${labels.length} labels but ${probabilities.length} probabilities`);
  }
  if (labels.length === 0) return Number.NaN;
  let total = 0;
  for (let i = 0; i < labels.length; i++) {
    const p = Math.min(1 - eps, Math.max(eps, probabilities[i]!));
    total -= labels[i] === 1 ? Math.log(p) : Math.log(1 - p);
  }
  return total / labels.length;
}

/**
 * Expected calibration error over `bins` equal-width probability bins: Σ_b (n_b / n) · |mean p_b − observed rate_b|.
 * 0 for a calibrated model; NaN for no rows.
 */
export function expectedCalibrationError(labels: ArrayLike<number>, probabilities: ArrayLike<number>, bins = 10): number {
  if (labels.length !== probabilities.length) {
    throw new Error(`expectedCalibrationError: ${labels.length} labels but ${probabilities.length} probabilities`);
  }
  const n = labels.length;
  if (n === 0) return Number.NaN;
  const count = new Float64Array(bins);
  const predicted = new Float64Array(bins);
  const observed = new Float64Array(bins);
  for (let i = 0; i < n; i++) {
    const p = probabilities[i]!;
    const b = Math.min(bins - 1, Math.max(0, Math.floor(p * bins)));
    count[b] = count[b]! + 1;
    predicted[b] = predicted[b]! + p;
    observed[b] = observed[b]! + (labels[i] === 1 ? 1 : 0);
  }
  let ece = 0;
  for (let b = 0; b < bins; b++) if (count[b]! > 0) ece += Math.abs(predicted[b]! - observed[b]!) / n;
  return ece;
}

export interface CalibrationBucket {
  /** Highest predicted probability in the bucket. */
  upTo: number;
  rows: number;
  meanPredicted: number;
  observedRate: number;
}

/**
 * Calibration by decile of the predicted probability: rows sorted by prediction and cut into `buckets` groups of
 * (nearly) equal size, each with its mean prediction and the observed positive rate. Ties may straddle a cut.
 */
export function calibrationByDecile(labels: ArrayLike<number>, probabilities: ArrayLike<number>, buckets = 10): CalibrationBucket[] {
  if (labels.length !== probabilities.length) {
    throw new Error(`calibrationByDecile: ${labels.length} labels but ${probabilities.length} probabilities`);
  }
  const n = labels.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => probabilities[a]! - probabilities[b]!);
  const out: CalibrationBucket[] = [];
  for (let b = 0; b < buckets; b++) {
    const start = Math.floor((b * n) / buckets);
    const end = Math.floor(((b + 1) * n) / buckets);
    if (end <= start) continue;
    let predicted = 0;
    let positives = 0;
    for (let k = start; k < end; k++) {
      predicted += probabilities[order[k]!]!;
      positives += labels[order[k]!] === 1 ? 1 : 0;
    }
    out.push({ upTo: probabilities[order[end - 1]!]!, rows: end - start, meanPredicted: predicted / (end - start), observedRate: positives / (end - start) });
  }
  return out;
}
