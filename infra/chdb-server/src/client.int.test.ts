/**
 * The real @clickhouse/client against the chDB server: what every Telltale service relies on.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { ClickHouseError, ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { startChdbServer, type ChdbServer } from './server';
import type { LogEvent } from './log';

jest.setTimeout(60_000);

const tableName = (what: string) => `${what}_${randomUUID().replace(/-/g, '').slice(0, 12)}`;

async function caught(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('@clickhouse/client against chdb-server', () => {
  let dataDir: string;
  let server: ChdbServer;
  let client: ClickHouseClient;
  const tables: string[] = [];
  // The server's log, so a test can wait for "the server is running query X" instead of sleeping.
  const logged: LogEvent[] = [];
  const queryStarted = (queryId: string) =>
    new Promise<void>((resolve) => {
      const poll = () => (logged.some((e) => e.event === 'query_start' && e.query_id === queryId) ? resolve() : setTimeout(poll, 10));
      poll();
    });

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'chdb-server-client-'));
    server = await startChdbServer({
      port: 0,
      dataDir,
      logQueries: true,
      log: (e) => {
        logged.push(e);
        if (process.env.CHDB_TEST_LOG) console.log(JSON.stringify(e));
      },
    });
    client = createClient({ url: server.url, log: { level: ClickHouseLogLevel.OFF } });
  });

  afterAll(async () => {
    for (const t of tables) await client.command({ query: `DROP TABLE IF EXISTS ${t}` });
    await client.close();
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  function newTable(what: string): string {
    const t = tableName(what);
    tables.push(t);
    return t;
  }

  it('pings', async () => {
    expect(await client.ping()).toEqual({ success: true });
    expect((await client.ping({ select: true })).success).toBe(true);
  });

  it('creates a MergeTree table with LowCardinality and Map, inserts 10k rows with JSONEachRow and reads them back', async () => {
    const t = newTable('events');
    await client.command({
      query: `CREATE TABLE ${t} (
        id UInt64, user LowCardinality(String), kind LowCardinality(String), props Map(String, Float64), ts DateTime64(3, 'UTC')
      ) ENGINE = MergeTree ORDER BY (user, id) TTL toDateTime(ts) + INTERVAL 30 DAY`,
    });
    const rows = Array.from({ length: 10_000 }, (_, i) => ({
      id: i,
      user: `u${i % 50}`,
      kind: i % 3 === 0 ? 'click' : 'view',
      props: { score: i / 10, dwell: i % 7 },
      ts: Date.now() - i * 1000,
    }));
    const result = await client.insert({ table: t, values: rows, format: 'JSONEachRow' });
    expect(result.executed).toBe(true);
    expect(result.summary?.written_rows).toBe('10000');

    const rs = await client.query({
      query: `SELECT count() AS n, uniqExact(user) AS users, sum(props['dwell']) AS dwell, toTypeName(user) AS type FROM ${t}`,
      format: 'JSONEachRow',
    });
    const [agg] = await rs.json<{ n: string; users: string; dwell: number; type: string }>();
    expect(agg).toEqual({ n: '10000', users: '50', dwell: rows.reduce((s, r) => s + r.props.dwell, 0), type: 'LowCardinality(String)' });
    expect(rs.response_headers['x-clickhouse-format']).toBe('JSONEachRow');
  });

  it('binds query_params of type String, UInt64 and Array(String), safely', async () => {
    const t = newTable('params');
    await client.command({ query: `CREATE TABLE ${t} (name String, n UInt64) ENGINE = MergeTree ORDER BY n` });
    const names = ["o'brien", 'tab\there', 'back\\slash', 'new\nline', 'plain', "x' OR '1'='1"];
    await client.insert({ table: t, values: names.map((name, n) => ({ name, n })), format: 'JSONEachRow' });

    for (const [n, name] of names.entries()) {
      const rs = await client.query({
        query: `SELECT name, n FROM ${t} WHERE name = {name:String} AND n = {n:UInt64}`,
        query_params: { name, n },
        format: 'JSONEachRow',
      });
      expect(await rs.json()).toEqual([{ name, n: String(n) }]);
    }

    const rs = await client.query({
      query: `SELECT name FROM ${t} WHERE has({names:Array(String)}, name) ORDER BY n`,
      query_params: { names: ["o'brien", 'new\nline', 'nope', "x' OR '1'='1"] },
      format: 'JSONEachRow',
    });
    expect(await rs.json()).toEqual([{ name: "o'brien" }, { name: 'new\nline' }, { name: "x' OR '1'='1" }]);

    // An injection attempt through a string parameter stays a value.
    const inj = await client.query({
      query: `SELECT count() AS c FROM ${t} WHERE name = {name:String}`,
      query_params: { name: "' OR 1=1 --" },
      format: 'JSONEachRow',
    });
    expect(await inj.json()).toEqual([{ c: '0' }]);

    // A non-numeric value for a numeric parameter is rejected by the engine's binder.
    const err = await caught(client.query({ query: 'SELECT {n:UInt64} AS n', query_params: { n: '1 OR 1=1' }, format: 'JSONEachRow' }));
    expect(err).toBeInstanceOf(ClickHouseError);
    expect((err as ClickHouseError).type).toBe('BAD_QUERY_PARAMETER');
  });

  it('raises ClickHouseError with code and type for a syntax error and for an unknown table', async () => {
    const syntax = await caught(client.query({ query: 'SELEC 1', format: 'JSONEachRow' }));
    expect(syntax).toBeInstanceOf(ClickHouseError);
    expect((syntax as ClickHouseError).code).toBe('62');
    expect((syntax as ClickHouseError).type).toBe('SYNTAX_ERROR');
    expect((syntax as ClickHouseError).message).toMatch(/^Syntax error/);

    const unknown = await caught(client.query({ query: `SELECT * FROM ${tableName('missing')}`, format: 'JSONEachRow' }));
    expect(unknown).toBeInstanceOf(ClickHouseError);
    expect((unknown as ClickHouseError).code).toBe('60');
    expect((unknown as ClickHouseError).type).toBe('UNKNOWN_TABLE');

    const unknownDb = await caught(client.command({ query: 'CREATE TABLE no_such_db.t (a UInt8) ENGINE = Memory' }));
    expect((unknownDb as ClickHouseError).type).toBe('UNKNOWN_DATABASE');

    const badInsert = await caught(client.insert({ table: tableName('missing'), values: [{ a: 1 }], format: 'JSONEachRow' }));
    expect((badInsert as ClickHouseError).type).toBe('UNKNOWN_TABLE');
  });

  it('runs command and exec', async () => {
    const t = newTable('cmd');
    const created = await client.command({ query: `CREATE TABLE ${t} (a UInt32) ENGINE = MergeTree ORDER BY a` });
    expect(created.query_id).toBeTruthy();
    const inserted = await client.command({ query: `INSERT INTO ${t} SELECT number FROM numbers(100)` });
    expect(inserted.summary?.written_rows).toBe('100');

    const ex = await client.exec({ query: `SELECT sum(a) AS s FROM ${t} FORMAT JSONEachRow` });
    let text = '';
    for await (const chunk of ex.stream) text += chunk.toString();
    expect(JSON.parse(text)).toEqual({ s: '4950' });

    const own = await client.command({ query: 'SELECT 1', query_id: 'my-query-id' });
    expect(own.query_id).toBe('my-query-id');
    expect(own.response_headers['x-clickhouse-query-id']).toBe('my-query-id');
  });

  it('streams a result with resultSet.stream() in JSONEachRow', async () => {
    const rs = await client.query({ query: 'SELECT number AS n, toString(number) AS s FROM numbers(50000)', format: 'JSONEachRow' });
    let count = 0;
    let sum = 0;
    for await (const rows of rs.stream<{ n: string; s: string }>()) {
      for (const row of rows) {
        const r = row.json();
        count++;
        sum += Number(r.n);
        expect(r.s).toBe(r.n);
      }
    }
    expect(count).toBe(50_000);
    expect(sum).toBe((49_999 * 50_000) / 2);
  });

  it('serves concurrent queries and inserts correctly', async () => {
    const t = newTable('concurrent');
    await client.command({ query: `CREATE TABLE ${t} (worker UInt32, i UInt32) ENGINE = MergeTree ORDER BY (worker, i)` });
    const workers = Array.from({ length: 16 }, (_, w) => (async () => {
      await client.insert({ table: t, values: Array.from({ length: 500 }, (_, i) => ({ worker: w, i })), format: 'JSONEachRow' });
      const rs = await client.query({
        query: `SELECT {w:UInt32} AS w, count() AS c FROM ${t} WHERE worker = {w:UInt32}`,
        query_params: { w },
        format: 'JSONEachRow',
      });
      return rs.json<{ w: number; c: string }>();
    })());
    const results = await Promise.all(workers);
    results.forEach((rows, w) => expect(rows).toEqual([{ w, c: '500' }]));
    const total = await client.query({ query: `SELECT count() AS c FROM ${t}`, format: 'JSONEachRow' });
    expect(await total.json()).toEqual([{ c: '8000' }]);
  });

  it('works with request and response compression, and applies per-query settings only to that query', async () => {
    const compressed = createClient({ url: server.url, compression: { request: true, response: true } });
    try {
      const t = newTable('gz');
      await compressed.command({ query: `CREATE TABLE ${t} (s String) ENGINE = MergeTree ORDER BY s` });
      await compressed.insert({ table: t, values: Array.from({ length: 2000 }, (_, i) => ({ s: `row ${i}` })), format: 'JSONEachRow' });
      const rs = await compressed.query({ query: `SELECT count() AS c FROM ${t}`, format: 'JSON' });
      expect((await rs.json<{ c: string }>()).data).toEqual([{ c: '2000' }]);
    } finally {
      await compressed.close();
    }

    const quoted = await client.query({
      query: 'SELECT toUInt64(5) AS v',
      format: 'JSONEachRow',
      clickhouse_settings: { output_format_json_quote_64bit_integers: 0, max_threads: 3 },
    });
    expect(await quoted.json()).toEqual([{ v: 5 }]);
    const after = await client.query({ query: "SELECT toUInt64(5) AS v, getSetting('max_threads') AS mt", format: 'JSONEachRow' });
    const [row] = await after.json<{ v: string; mt: number }>();
    expect(row!.v).toBe('5');
    expect(row!.mt).not.toBe(3);
  });

  it('survives bad queries, bad data and client-side aborts', async () => {
    const t = newTable('bad');
    await client.command({ query: `CREATE TABLE ${t} (n UInt8) ENGINE = MergeTree ORDER BY n` });
    const bad = await caught(client.insert({ table: t, values: [{ n: 'not a number' }], format: 'JSONEachRow' }));
    expect(bad).toBeInstanceOf(ClickHouseError);
    expect((await caught(client.query({ query: 'SELECT throwIf(1)' })) as ClickHouseError).type).toBe('FUNCTION_THROW_IF_VALUE_IS_NON_ZERO');

    const controller = new AbortController();
    const aborted = client.query({ query: 'SELECT sleep(1)', abort_signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    await expect(aborted).rejects.toThrow();

    const rs = await client.query({ query: 'SELECT 42 AS x', format: 'JSONEachRow' });
    expect(await rs.json()).toEqual([{ x: 42 }]);
  });

  it('keeps answering /ping while a long query runs, and runs queued queries after it', async () => {
    // Order of events, not wall-clock time: the ping must answer while the long query is running.
    const done: string[] = [];
    const long = client
      .query({ query: 'SELECT sleep(2) AS s', format: 'JSONEachRow', query_id: 'long-during-ping' })
      .then((rs) => rs.json())
      .finally(() => done.push('long query'));
    await queryStarted('long-during-ping');
    expect(await client.ping()).toEqual({ success: true });
    done.push('ping');
    const queued = client.query({ query: 'SELECT 1 AS one', format: 'JSONEachRow' }).then((rs) => rs.json());
    expect(await long).toEqual([{ s: 0 }]);
    expect(await queued).toEqual([{ one: 1 }]);
    expect(done).toEqual(['ping', 'long query']);
  });

  it('honours the database setting of the client', async () => {
    const db = tableName('db');
    await client.command({ query: `CREATE DATABASE ${db}` });
    const scoped = createClient({ url: server.url, database: db });
    try {
      await scoped.command({ query: 'CREATE TABLE here (a UInt8) ENGINE = Memory' });
      await scoped.insert({ table: 'here', values: [{ a: 7 }], format: 'JSONEachRow' });
      const rs = await scoped.query({ query: 'SELECT currentDatabase() AS db, a FROM here', format: 'JSONEachRow' });
      expect(await rs.json()).toEqual([{ db, a: 7 }]);
      const dflt = await client.query({ query: 'SELECT currentDatabase() AS db', format: 'JSONEachRow' });
      expect(await dflt.json()).toEqual([{ db: 'default' }]);
    } finally {
      await scoped.close();
      await client.command({ query: `DROP DATABASE ${db}` });
    }
  });
});
