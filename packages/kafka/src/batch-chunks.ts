/**
 * Cuts a fetched batch into consecutive chunks of at most `maxRecords` records and at most `maxBytes` bytes
 * (as `sizeOf` measures them), in order. A record larger than `maxBytes` makes a chunk of its own: it must be
 * handed over some time, and alone it bounds the work as well as anything can.
 */
export function chunkRecords<R>(records: readonly R[], limits: { maxRecords: number; maxBytes: number }, sizeOf: (record: R) => number): R[][] {
  if (!(limits.maxRecords >= 1) || !(limits.maxBytes >= 1)) throw new Error(`chunk limits must be positive, got ${JSON.stringify(limits)}`);
  const chunks: R[][] = [];
  let current: R[] = [];
  let bytes = 0;
  for (const record of records) {
    const size = sizeOf(record);
    if (current.length > 0 && (current.length >= limits.maxRecords || bytes + size > limits.maxBytes)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(record);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
