export interface Standardization {
  means: number[];
  stds: number[];
}

/** Values that count as present: anything else (undefined, NaN, ±Infinity) is treated as missing. */
function present(value: number | undefined): value is number {
  return value !== undefined && Number.isFinite(value);
}

/**
 * Mean and population standard deviation of each feature over the rows where it is present.
 * A constant (std 0) or never-present feature gets std 1, so it standardises to 0 instead of dividing by zero.
 */
export function fitStandardization(featureNames: readonly string[], rows: ReadonlyArray<Readonly<Record<string, number>>>): Standardization {
  const means: number[] = [];
  const stds: number[] = [];
  for (const name of featureNames) {
    // Welford: one pass, stable for large counters such as session_duration_s.
    let count = 0;
    let mean = 0;
    let m2 = 0;
    for (const row of rows) {
      const x = row[name];
      if (!present(x)) continue;
      count++;
      const delta = x - mean;
      mean += delta / count;
      m2 += delta * (x - mean);
    }
    const std = count > 0 ? Math.sqrt(m2 / count) : 0;
    means.push(mean);
    stds.push(std > 0 && Number.isFinite(std) ? std : 1);
  }
  return { means, stds };
}

/**
 * z-scores of `features` in the order of `featureNames`. A missing feature (or one that is not a finite number)
 * becomes 0, i.e. its mean: a feature the enricher does not send yet, or stopped sending, is neutral, not an error.
 * Features not in `featureNames` are ignored (features added after the model was trained).
 */
export function standardize(
  featureNames: readonly string[],
  standardization: Standardization,
  features: Readonly<Record<string, number>>,
): number[] {
  const z = new Array<number>(featureNames.length);
  for (let i = 0; i < featureNames.length; i++) {
    const x = features[featureNames[i]!];
    z[i] = present(x) ? (x - standardization.means[i]!) / standardization.stds[i]! : 0;
  }
  return z;
}
