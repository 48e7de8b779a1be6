import type { ConsumedRecord } from '@telltale/kafka';
import { MergedInserts } from './merged-inserts';

const record = (partition: number, offset: number, value = 'ok'): ConsumedRecord<string> => ({
  topic: 't',
  partition,
  offset: String(offset),
  key: null,
  value,
  timestamp: 0,
  raw: Buffer.from(value),
});

describe('MergedInserts', () => {
  it('merges the batches of partitions that arrive while an insert is in flight, and gives each caller its own result', async () => {
    const inserts: string[][] = [];
    let release!: () => void;
    const merged = new MergedInserts<string>(async (records) => {
      inserts.push(records.map((r) => `${r.partition}@${r.offset}`));
      if (inserts.length === 1) await new Promise<void>((r) => (release = r));
      const bad = records.filter((r) => r.value === 'bad');
      return { inserted: records.length - bad.length, rejected: bad.map((r) => ({ reason: 'refused', payload: r.raw, key: null, source: r })) };
    });
    const first = merged.insert([record(0, 1)]);
    await new Promise((r) => setImmediate(r));
    const a = merged.insert([record(1, 5), record(1, 6, 'bad')]);
    const b = merged.insert([record(2, 9)]);
    release();
    expect(await first).toEqual({ inserted: 1, rejected: [] });
    const [ra, rb] = await Promise.all([a, b]);
    expect(inserts).toEqual([['0@1'], ['1@5', '1@6', '2@9']]);
    expect(ra.inserted).toBe(1);
    expect(ra.rejected.map((r) => r.source?.offset)).toEqual(['6']);
    expect(rb).toEqual({ inserted: 1, rejected: [] });
  });

  it('fails every caller of a failed insert; the next batches are inserted again', async () => {
    let fail = true;
    const merged = new MergedInserts<string>(async (records) => {
      if (fail) throw new Error('ClickHouse unavailable');
      return { inserted: records.length, rejected: [] };
    });
    const results = await Promise.allSettled([merged.insert([record(0, 1)]), merged.insert([record(1, 1)])]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    await expect(merged.insert([record(0, 1)])).resolves.toEqual({ inserted: 1, rejected: [] });
  });
});
