import { ClickHouseError, type ClickHouseClient } from '@telltale/clickhouse';
import type { ConsumedRecord } from '@telltale/kafka';
import { createLogger } from '@telltale/runtime';
import { TableWriter } from './table-writer';

// A stand-in for ClickHouse that refuses rows whose value is negative: the logic under test is what the writer
// does with refusals, not ClickHouse itself (the integration test covers the real engine).
function fakeClient(opts: { failFirst?: Error } = {}) {
  const inserted: unknown[] = [];
  let failures = opts.failFirst ? 1 : 0;
  const client = {
    // The writer sends JSONCompactEachRow: the column names once, each row as its values in that order.
    insert: jest.fn(async ({ values, columns, format }: { values: unknown[][]; columns: string[]; format: string }) => {
      if (failures > 0) {
        failures -= 1;
        throw opts.failFirst;
      }
      expect(format).toBe('JSONCompactEachRow');
      const rows = values.map((row) => Object.fromEntries(columns.map((c, i) => [c, row[i]])) as { v: number });
      if (rows.some((r) => r.v < 0)) throw new ClickHouseError({ message: 'Cannot parse input', code: '27', type: 'CANNOT_PARSE_INPUT_ASSERTION_FAILED' });
      inserted.push(...rows);
      return {};
    }),
  };
  return { client: client as unknown as ClickHouseClient, inserted, insert: client.insert };
}

const record = (v: number, offset: number): ConsumedRecord<number> => ({
  topic: 't',
  partition: 0,
  offset: String(offset),
  key: `k${offset}`,
  value: v,
  timestamp: 0,
  raw: Buffer.from(String(v)),
});

const logger = createLogger('test', 'silent');

describe('TableWriter', () => {
  it('inserts a good batch in one request', async () => {
    const { client, inserted, insert } = fakeClient();
    const writer = new TableWriter(client, 'tbl', (v: number) => ({ v }), logger, 2);
    await expect(writer.write([record(1, 0), record(2, 1)])).resolves.toEqual({ inserted: 2, rejected: [] });
    expect(insert).toHaveBeenCalledTimes(1);
    expect(inserted).toEqual([{ v: 1 }, { v: 2 }]);
  });

  it('lands the good rows and dead-letters the bad ones when ClickHouse refuses a batch', async () => {
    const { client, inserted } = fakeClient();
    const writer = new TableWriter(client, 'tbl', (v: number) => ({ v }), logger, 2);
    const result = await writer.write([record(1, 0), record(-5, 1), record(3, 2)]);
    expect(inserted).toEqual([{ v: 1 }, { v: 3 }]);
    expect(result.inserted).toBe(2);
    expect(result.rejected).toEqual([
      expect.objectContaining({ key: 'k1', reason: expect.stringMatching(/ClickHouse refused the row for tbl: Cannot parse input/), source: expect.objectContaining({ offset: '1' }) }),
    ]);
  });

  it('dead-letters values that cannot be mapped to a row', async () => {
    const { client, inserted } = fakeClient();
    const writer = new TableWriter(client, 'tbl', (v: number) => ({ v, t: new Date(v).toISOString() }), logger, 2);
    const result = await writer.write([record(1, 0), record(9e15, 1)]);
    expect(inserted).toHaveLength(1);
    expect(result.rejected[0]!.reason).toMatch(/cannot map to a tbl row: Invalid time value/);
  });

  it('retries retriable errors, then throws so the batch stays uncommitted', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8123'), { code: 'ECONNREFUSED' });
    const once = fakeClient({ failFirst: refused });
    await expect(new TableWriter(once.client, 'tbl', (v: number) => ({ v }), logger, 2).write([record(1, 0)])).resolves.toEqual({ inserted: 1, rejected: [] });

    const always = { insert: jest.fn(async () => Promise.reject(refused)) } as unknown as ClickHouseClient;
    await expect(new TableWriter(always, 'tbl', (v: number) => ({ v }), logger, 2).write([record(1, 0)])).rejects.toThrow(/ECONNREFUSED/);
    expect((always.insert as jest.Mock).mock.calls).toHaveLength(3);
  });
});
