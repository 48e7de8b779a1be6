export interface Standardization {
  means: number[];
  stds: number[];
}

/**
 * Mean and population standard deviation of each column of a row-major matrix (rows × cols), over the column's
 * finite values (NaN = missing). A constant (std 0) or never-present column gets std 1, so it standardises to 0
 * instead of dividing by zero. Welford's one-pass update: stable for large counters such as session_duration_s.
 */
export function fitMatrixStandardization(x: Float64Array, rows: number, cols: number): Standardization {
  const count = new Float64Array(cols);
  const mean = new Float64Array(cols);
  const m2 = new Float64Array(cols);
  for (let i = 0; i < rows; i++) {
    const offset = i * cols;
    for (let j = 0; j < cols; j++) {
      const v = x[offset + j]!;
      if (!Number.isFinite(v)) continue;
      const c = (count[j] = count[j]! + 1);
      const delta = v - mean[j]!;
      mean[j] = mean[j]! + delta / c;
      m2[j] = m2[j]! + delta * (v - mean[j]!);
    }
  }
  const stds = Array.from(m2, (s, j) => {
    const std = count[j]! > 0 ? Math.sqrt(s / count[j]!) : 0;
    return std > 0 && Number.isFinite(std) ? std : 1;
  });
  return { means: Array.from(mean), stds };
}

/** In place: z-scores by column, and 0 (the mean) where a value is missing or not finite, as scoring does. */
export function standardizeMatrix(x: Float64Array, rows: number, cols: number, standardization: Standardization): void {
  const { means, stds } = standardization;
  for (let i = 0; i < rows; i++) {
    const offset = i * cols;
    for (let j = 0; j < cols; j++) {
      const v = x[offset + j]!;
      x[offset + j] = Number.isFinite(v) ? (v - means[j]!) / stds[j]! : 0;
    }
  }
}
