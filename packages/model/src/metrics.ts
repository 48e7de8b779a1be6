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
