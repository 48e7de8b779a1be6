/** FNV-1a over UTF-16 code units, then murmur3's finaliser so similar ids spread over the whole 32-bit range. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A stable number in [0, 1) for a session under a seed. */
export function sessionBucket(sessionId: string, seed: string): number {
  return hash32(`${seed}\u0000${sessionId}`) / 2 ** 32;
}

/**
 * Splits rows into train and test by a hash of their session id, so that every snapshot of one session lands on
 * the same side (snapshots of one session are strongly correlated: splitting them would leak the label into the
 * test set). Deterministic for a given seed, whatever the row order; the test share is `testFraction` of sessions,
 * not exactly of rows.
 */
export function splitBySession<T>(
  rows: readonly T[],
  sessionOf: (row: T) => string,
  opts: { testFraction: number; seed: string },
): { train: T[]; test: T[] } {
  if (!(opts.testFraction > 0 && opts.testFraction < 1)) {
    throw new Error(`testFraction must be in (0, 1), got ${opts.testFraction}`);
  }
  const train: T[] = [];
  const test: T[] = [];
  const buckets = new Map<string, number>();
  for (const row of rows) {
    const session = sessionOf(row);
    let bucket = buckets.get(session);
    if (bucket === undefined) {
      bucket = sessionBucket(session, opts.seed);
      buckets.set(session, bucket);
    }
    (bucket < opts.testFraction ? test : train).push(row);
  }
  return { train, test };
}
