/**
 * Insert throughput, HTTP server vs. chDB in-process: `tsx infra/chdb-server/src/bench.ts [rows]`.
 * 1) @clickhouse/client → chdb-server over HTTP, 2) @clickhouse/client with createChdbConnection (no HTTP).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { startChdbServer } from './server';

// chdb/connection is a package-exports subpath, which this repo's moduleResolution ("node") cannot type.
const { createChdbConnection } = require('chdb/connection') as { createChdbConnection(opts: { path: string }): unknown };

const ROWS = Number(process.argv[2] ?? 100_000);
const DDL = `CREATE TABLE bench (id UInt64, user LowCardinality(String), kind LowCardinality(String), props Map(String, Float64), ts DateTime64(3, 'UTC'))
  ENGINE = MergeTree ORDER BY (user, id)`;
const rows = Array.from({ length: ROWS }, (_, i) => ({
  id: i, user: `u${i % 1000}`, kind: i % 3 ? 'view' : 'click', props: { score: i / 7, dwell: i % 60 }, ts: 1_700_000_000_000 + i,
}));

async function run(label: string, client: ClickHouseClient): Promise<void> {
  await client.command({ query: 'DROP TABLE IF EXISTS bench' });
  await client.command({ query: DDL });
  const t0 = performance.now();
  await client.insert({ table: 'bench', values: rows, format: 'JSONEachRow' });
  const insertMs = performance.now() - t0;
  const t1 = performance.now();
  const rs = await client.query({ query: 'SELECT * FROM bench', format: 'JSONEachRow' });
  const back = await rs.json();
  const readMs = performance.now() - t1;
  console.log(JSON.stringify({ label, rows: ROWS, insert_ms: Math.round(insertMs), read_all_ms: Math.round(readMs), read_rows: back.length }));
  await client.close();
}

async function main(): Promise<void> {
  const dirA = mkdtempSync(path.join(os.tmpdir(), 'chdb-bench-http-'));
  const server = await startChdbServer({ port: 0, dataDir: dirA });
  await run('http (chdb-server)', createClient({ url: server.url }));
  await run('http (chdb-server, gzip request+response)', createClient({ url: server.url, compression: { request: true, response: true }}));
  await server.close();
  rmSync(dirA, { recursive: true, force: true });

  const dirB = mkdtempSync(path.join(os.tmpdir(), 'chdb-bench-direct-'));
  await run('in-process (createChdbConnection)', createClient({ connection: createChdbConnection({ path: dirB }) } as Parameters<typeof createClient>[0]));
  rmSync(dirB, { recursive: true, force: true });
}

void main();
