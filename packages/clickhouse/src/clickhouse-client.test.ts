import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClickHouseClient, type ReadOnlyMode } from './clickhouse-client';

/** What the client puts on the URL of a query: the settings a server would apply (and a read-only user refuse). */
async function settingsSent(readOnly: ReadOnlyMode | undefined): Promise<URLSearchParams> {
  let url = '';
  const server = http.createServer((req, res) => {
    url = req.url ?? '';
    req.resume();
    res.writeHead(200, { 'content-type': 'application/x-ndjson', 'x-clickhouse-format': 'JSONEachRow' });
    res.end('{"n":"1"}\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const client = createClickHouseClient(
    { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, user: 'reader', password: '', database: 'telltale' },
    { readOnly },
  );
  try {
    const rs = await client.query({ query: 'SELECT 1 AS n', format: 'JSONEachRow' });
    expect(await rs.json()).toEqual([{ n: '1' }]);
  } finally {
    await client.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  return new URL(url, 'http://x').searchParams;
}

describe('ClickHouse client settings', () => {
  it('a writer waits for the end of each query', async () => {
    const params = await settingsSent(undefined);
    expect(params.get('wait_end_of_query')).toBe('1');
    expect(params.get('readonly')).toBeNull();
  });

  it("read-only by setting: readonly=1 on every query and no other setting", async () => {
    const params = await settingsSent('setting');
    expect(params.get('readonly')).toBe('1');
    expect(params.get('wait_end_of_query')).toBeNull();
    expect(params.get('enable_http_compression')).toBeNull();
  });

  it("read-only by the user's profile: no setting at all (a read-only user refuses them)", async () => {
    const params = await settingsSent('user');
    expect([...params.keys()].filter((k) => k !== 'query' && k !== 'database' && k !== 'query_id')).toEqual([]);
  });
});
