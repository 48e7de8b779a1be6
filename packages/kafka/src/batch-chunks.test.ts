import { chunkRecords } from './batch-chunks';

const size = (n: number) => n;

describe('chunkRecords', () => {
  it('cuts by record count, in order', () => {
    const records = Array.from({ length: 2500 }, (_, i) => i);
    const chunks = chunkRecords(records, { maxRecords: 1000, maxBytes: Number.MAX_SAFE_INTEGER }, () => 1);
    expect(chunks.map((c) => c.length)).toEqual([1000, 1000, 500]);
    expect(chunks.flat()).toEqual(records);
  });

  it('cuts by bytes, and a record larger than the byte limit comes alone', () => {
    const chunks = chunkRecords([40, 40, 30, 500, 10, 90, 5], { maxRecords: 100, maxBytes: 100 }, size);
    expect(chunks).toEqual([[40, 40], [30], [500], [10, 90], [5]]);
    for (const chunk of chunks) expect(chunk.length === 1 || chunk.reduce((a, b) => a + b, 0) <= 100).toBe(true);
  });

  it('gives no chunk for no records', () => {
    expect(chunkRecords([], { maxRecords: 10, maxBytes: 10 }, size)).toEqual([]);
  });

  it('refuses limits that would never make progress', () => {
    expect(() => chunkRecords([1], { maxRecords: 0, maxBytes: 10 }, size)).toThrow(/must be positive/);
    expect(() => chunkRecords([1], { maxRecords: 10, maxBytes: Number.NaN }, size)).toThrow(/must be positive/);
  });
});
