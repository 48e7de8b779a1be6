/**
 * The HTTP interface as curl and plain fetch use it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { startChdbServer, type ChdbServer } from './server';

jest.setTimeout(60_000);

describe('chdb-server HTTP interface (curl-style)', () => {
  let dataDir: string;
  let server: ChdbServer;
  const tables: string[] = [];
  const table = () => {
    const t = `raw_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    tables.push(t);
    return t;
  };
  const q = (query: string, extra = '') => `${server.url}/?query=${encodeURIComponent(query)}${extra}`;
  const post = (body: string | Buffer, url = `${server.url}/`, headers: Record<string, string> = {}) =>
    fetch(url, { method: 'POST', body, headers });

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'chdb-server-http-'));
    server = await startChdbServer({ port: 0, dataDir });
  });

  afterAll(async () => {
    for (const t of tables) await post(`DROP TABLE IF EXISTS ${t}`);
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers GET /ping and GET / with "Ok."', async () => {
    for (const p of ['/ping', '/']) {
      const res = await fetch(`${server.url}${p}`);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('Ok.\n');
    }
    const missing = await fetch(`${server.url}/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toMatch(/^There is no handle \/nope/);
  });

  it('runs ?query=SELECT 1 and a query in the POST body, with the ClickHouse headers', async () => {
    const res = await fetch(q('SELECT 1'));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('1\n');
    expect(res.headers.get('x-clickhouse-format')).toBe('TabSeparated');
    expect(res.headers.get('content-type')).toBe('text/tab-separated-values; charset=UTF-8');
    expect(res.headers.get('x-clickhouse-query-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.get('x-clickhouse-timezone')).toBeTruthy();
    const summary = JSON.parse(res.headers.get('x-clickhouse-summary')!);
    expect(Object.keys(summary).sort()).toEqual(
      ['elapsed_ns', 'read_bytes', 'read_rows', 'result_bytes', 'result_rows', 'total_rows_to_read', 'written_bytes', 'written_rows'].sort(),
    );
    expect(Object.values(summary).every((v) => typeof v === 'string')).toBe(true);
    expect(summary.result_rows).toBe('1');

    const body = await post('SELECT number, toUInt64(number) * 1000000000000 AS big FROM numbers(2) FORMAT JSONEachRow');
    expect(body.headers.get('x-clickhouse-format')).toBe('JSONEachRow');
    expect(await body.text()).toBe('{"number":"0","big":"0"}\n{"number":"1","big":"1000000000000"}\n');

    // URL query + "\n" + body, and default_format / query_id parameters
    const joined = await post('1 AS x', q('SELECT', '&default_format=JSONEachRow&query_id=abc'));
    expect(await joined.text()).toBe('{"x":1}\n');
    expect(joined.headers.get('x-clickhouse-query-id')).toBe('abc');
  });

  it('inserts rows from the body: JSONEachRow, CSV, VALUES, body-only INSERT, gzip-compressed', async () => {
    const t = table();
    expect((await post(`CREATE TABLE ${t} (s String, n UInt32) ENGINE = MergeTree ORDER BY n`)).status).toBe(200);

    const json = await post('{"s":"a","n":1}\n{"s":"b","n":2}\n', q(`INSERT INTO ${t} FORMAT JSONEachRow`));
    expect(json.status).toBe(200);
    expect(JSON.parse(json.headers.get('x-clickhouse-summary')!).written_rows).toBe('2');
    await post('"c",3\n"d",4\n', q(`INSERT INTO ${t} FORMAT CSV`));
    await post("('e', 5), ('f', 6)", q(`INSERT INTO ${t} VALUES`));
    const bodyOnly = await post(`INSERT INTO ${t} FORMAT JSONEachRow\n{"s":"g","n":7}`);
    expect(JSON.parse(bodyOnly.headers.get('x-clickhouse-summary')!).written_rows).toBe('1');
    const gz = zlib.gzipSync(Buffer.from('{"s":"h","n":8}\n{"s":"i","n":9}\n'));
    const zipped = await post(gz, q(`INSERT INTO ${t} FORMAT JSONEachRow`), { 'Content-Encoding': 'gzip' });
    expect(zipped.status).toBe(200);

    const res = await fetch(q(`SELECT groupArray(s) FROM (SELECT s FROM ${t} ORDER BY n)`));
    expect(await res.text()).toBe("['a','b','c','d','e','f','g','h','i']\n");

    const empty = await post('', q(`INSERT INTO ${t} FORMAT JSONEachRow`));
    expect(empty.status).toBe(200);
    expect(JSON.parse(empty.headers.get('x-clickhouse-summary')!).written_rows).toBe('0');

    const badEncoding = await post('x', q(`INSERT INTO ${t} FORMAT JSONEachRow`), { 'Content-Encoding': 'snappy' });
    expect(badEncoding.status).toBe(500);
    expect(badEncoding.headers.get('x-clickhouse-exception-code')).toBe('89');
  });

  it('binds param_* values and rejects injection', async () => {
    const res = await fetch(q('SELECT {s:String} AS s, {n:UInt64} AS n, {a:Array(String)} AS a FORMAT JSONEachRow',
      `&param_s=${encodeURIComponent("it\\'s\\ta")}&param_n=42&param_a=${encodeURIComponent("['x\\'y','z']")}`));
    expect(await res.json()).toEqual({ s: "it's\ta", n: '42', a: ["x'y", 'z'] });

    const inj = await fetch(q('SELECT {n:UInt64}', `&param_n=${encodeURIComponent('1; DROP TABLE x')}`));
    expect(inj.status).toBe(500);
    expect(inj.headers.get('x-clickhouse-exception-code')).toBe('457');
    expect(await inj.text()).toMatch(/^Code: 457\. DB::Exception: .*\(BAD_QUERY_PARAMETER\) \(version [^)]+\)\n$/s);

    const missing = await fetch(q('SELECT {n:UInt64}'));
    expect(missing.headers.get('x-clickhouse-exception-code')).toBe('456');
  });

  it('takes query and param_* from a multipart/form-data body', async () => {
    const form = new FormData();
    form.append('query', 'SELECT {a:String} || {b:String} AS ab FORMAT JSONEachRow');
    form.append('param_a', 'foo');
    form.append('param_b', 'bar');
    const res = await fetch(`${server.url}/`, { method: 'POST', body: form });
    expect(await res.json()).toEqual({ ab: 'foobar' });
  });

  it('answers errors ClickHouse-style: status, X-ClickHouse-Exception-Code, text body', async () => {
    const syntax = await post('SELEC 1');
    expect(syntax.status).toBe(400);
    expect(syntax.headers.get('x-clickhouse-exception-code')).toBe('62');
    expect(await syntax.text()).toMatch(/^Code: 62\. DB::Exception: Syntax error.*\(SYNTAX_ERROR\) \(version .*\)\n$/s);

    const unknown = await fetch(q('SELECT * FROM no_such_table_here'));
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('x-clickhouse-exception-code')).toBe('60');

    const getWrite = await fetch(q('CREATE TABLE x (a UInt8) ENGINE = Memory'));
    expect(getWrite.headers.get('x-clickhouse-exception-code')).toBe('164');

    const empty = await post('');
    expect(empty.status).toBe(400);
  });

  it('compresses the response with enable_http_compression=1 and Accept-Encoding: gzip', async () => {
    const raw = await new Promise<{ headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      http.get(q('SELECT number FROM numbers(1000)', '&enable_http_compression=1'), { headers: { 'Accept-Encoding': 'gzip' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
      }).on('error', reject);
    });
    expect(raw.headers['content-encoding']).toBe('gzip');
    const text = zlib.gunzipSync(raw.body).toString();
    expect(text.split('\n')).toHaveLength(1001);

    const plain = await fetch(q('SELECT 1'), { headers: { 'Accept-Encoding': 'gzip' } });
    expect(plain.headers.get('content-encoding')).toBeNull();
  });

  it('ignores settings the engine does not know and applies the ones it does', async () => {
    const res = await fetch(q("SELECT getSetting('max_threads') AS m FORMAT JSONEachRow", '&wait_end_of_query=1&no_such_setting_xyz=1&max_threads=3&send_progress_in_http_headers=1'));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ m: 3 });
  });
});
