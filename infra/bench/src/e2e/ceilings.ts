import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import autocannon from 'autocannon';
import type { ClickHouseClient } from '@telltale/clickhouse';
import { REPO_ROOT, parseMetricsText, spawnTsx, stopChild, sumOf, waitForHttp } from '@telltale/local-stack';
import { freePort } from '@telltale/testing';
import { sampleProcess } from './process-stats';

// The ceilings each stage is measured against, on the same broker and the same ClickHouse as the pipeline, in the
// same run: Kafka's own producer and consumer load tools, and a direct insert of the same rows.

const KAFKA_TOOLS = path.join(REPO_ROOT, 'infra/bench/kafka-tools/kafka-tools.sh');

export interface ToolRun {
  recordsPerS: number;
  mbPerS: number;
  /** The tool's own summary line, as printed. */
  summary: string;
  /** CPU of the tool's JVM over its run, cores. */
  cpuCores: number | null;
}

/** Runs a kafka-tools command to its end; its stdout, and the mean CPU of the JVM while it ran. */
async function runTool(args: string[], timeoutMs: number): Promise<{ out: string; cpuCores: number | null }> {
  const child = spawn('bash', [KAFKA_TOOLS, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const t0 = Date.now();
  // exec in kafka-tools.sh: the child's pid becomes the JVM's.
  let first: { cpu: number; at: number } | undefined;
  let last: { cpu: number; at: number } | undefined;
  const sampler = setInterval(() => {
    const s = child.pid === undefined ? undefined : sampleProcess(child.pid);
    if (!s) return;
    last = { cpu: s.cpuSeconds, at: Date.now() };
    first ??= { cpu: 0, at: t0 };
  }, 250);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(timer);
  clearInterval(sampler);
  if (code !== 0) throw new Error(`kafka-tools.sh ${args[0]} exited ${code}: ${err.slice(-2000)}`);
  const cpuCores = first && last && last.at > first.at ? last.cpu / ((last.at - first.at) / 1000) : null;
  return { out, cpuCores };
}

/**
 * ProducerPerformance: `records` records of `recordBytes` bytes, acks=all, linger 5 ms (the collector's
 * COLLECTOR_LINGER_MS), no compression (as the collector), as fast as the broker takes them.
 */
export async function producerPerformance(brokers: string, topic: string, records: number, recordBytes: number): Promise<ToolRun> {
  const { out, cpuCores } = await runTool(
    [
      'producer-perf',
      '--topic', topic,
      '--num-records', String(records),
      '--record-size', String(recordBytes),
      '--throughput', '-1',
      '--producer-props', `bootstrap.servers=${brokers}`, 'acks=all', 'linger.ms=5', 'compression.type=none',
    ],
    600_000,
  );
  // "1000000 records sent, 119474.4 records/sec (31.90 MB/sec), 245.12 ms avg latency, ..."
  const line = out.trim().split('\n').reverse().find((l) => / records sent, /.test(l));
  const m = line && /records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\)/.exec(line);
  if (!line || !m) throw new Error(`no summary in ProducerPerformance output: ${out.slice(-1000)}`);
  return { recordsPerS: Math.round(Number(m[1])), mbPerS: Number(m[2]), summary: line.trim(), cpuCores: cpuCores === null ? null : Math.round(cpuCores * 100) / 100 };
}

/** ConsumerPerformance: reads `records` records of `topic` from the beginning, in a group of its own. */
export async function consumerPerformance(brokers: string, topic: string, records: number, group: string): Promise<ToolRun> {
  const { out, cpuCores } = await runTool(
    ['consumer-perf', '--bootstrap-server', brokers, '--topic', topic, '--messages', String(records), '--group', group, '--timeout', '60000'],
    600_000,
  );
  // header: start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
  const lines = out.trim().split('\n');
  const row = lines[lines.length - 1]!.split(',').map((c) => c.trim());
  const mbPerS = Number(row[3]);
  const recordsPerS = Number(row[5]);
  if (!Number.isFinite(recordsPerS)) throw new Error(`no summary in ConsumerPerformance output: ${out.slice(-1000)}`);
  // NOTE: nMsg.sec counts the group join too; fetch.nMsg.sec is the consuming alone.
  const fetchRecordsPerS = Number(row[9]);
  return {
    recordsPerS: Math.round(Number.isFinite(fetchRecordsPerS) && fetchRecordsPerS > 0 ? fetchRecordsPerS : recordsPerS),
    mbPerS: Number(row[8]) || mbPerS,
    summary: `${lines[lines.length - 2] ?? ''}\n${lines[lines.length - 1]}`.trim(),
    cpuCores: cpuCores === null ? null : Math.round(cpuCores * 100) / 100,
  };
}

export interface CollectorAlone {
  /** The process's pid (names its CPU profile). */
  pid: number | undefined;
  eventsPerS: number;
  requestsPerS: number;
  eventsPerRequest: number;
  connections: number;
  /** CPU of the collector process over the run, cores. */
  collectorCpuCores: number | null;
  non2xx: number;
}

/**
 * The collector alone at its limit: a process of its own (its own topics, same broker), `connections` connections
 * posting the same `body` back to back for `seconds`. The client is autocannon with a fixed body, so the client's
 * cost is small next to the collector's; both answer only after acks=all.
 */
export async function collectorAlone(opts: {
  brokers: string;
  topicPrefix: string;
  body: string;
  eventsPerRequest: number;
  connections: number;
  seconds: number;
  env?: Record<string, string>;
  logFile: string;
}): Promise<CollectorAlone> {
  const port = await freePort();
  const child: ChildProcess = spawnTsx(path.join(REPO_ROOT, 'services/collector/src/main.ts'), {
    env: {
      ...process.env,
      ...opts.env,
      KAFKA_BROKERS: opts.brokers,
      TOPIC_PREFIX: opts.topicPrefix,
      PORT: String(port),
      HOST: '127.0.0.1',
      COLLECTOR_WRITE_KEYS: '',
      LOG_LEVEL: 'warn',
    },
    logFile: opts.logFile,
    truncate: true,
  });
  try {
    await waitForHttp(`http://127.0.0.1:${port}/healthz`, { timeoutMs: 120_000, what: 'collector (alone)' });
    const run = (duration: number) =>
      autocannon({
        url: `http://127.0.0.1:${port}/v1/batch`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: opts.body,
        connections: opts.connections,
        duration,
      });
    await run(3); // warm-up: connections, JIT, topic metadata
    const before = child.pid === undefined ? undefined : sampleProcess(child.pid);
    const acceptedBefore = await acceptedEvents(port);
    const t0 = Date.now();
    const result = await run(opts.seconds);
    const seconds = (Date.now() - t0) / 1000;
    const after = child.pid === undefined ? undefined : sampleProcess(child.pid);
    const accepted = (await acceptedEvents(port)) - acceptedBefore;
    return {
      pid: child.pid,
      eventsPerS: Math.round(accepted / seconds),
      requestsPerS: Math.round(result['2xx'] / seconds),
      eventsPerRequest: opts.eventsPerRequest,
      connections: opts.connections,
      collectorCpuCores: before && after ? Math.round(((after.cpuSeconds - before.cpuSeconds) / seconds) * 100) / 100 : null,
      non2xx: result.non2xx + result.errors,
    };
  } finally {
    await stopChild(child, 30_000);
  }
}

async function acceptedEvents(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return sumOf(parseMetricsText(text), 'telltale_collector_events_accepted_total') ?? 0;
}

export interface SinkAlone {
  pid: number | undefined;
  rowsPerS: number;
  rowsByTable: Record<string, number>;
  sinkCpuCores: number | null;
  seconds: number;
}

/**
 * The sink alone at its limit: a second sink process, in a consumer group and a ClickHouse database of its own,
 * reading the pipeline's topics from the beginning, i.e. a backlog of every row the run produced. Its insert rate
 * from its first rows until `seconds` pass or the backlog runs out is the sink's throughput with nothing else running.
 */
export async function sinkAlone(opts: {
  brokers: string;
  clickhouseUrl: string;
  database: string;
  groupId: string;
  seconds: number;
  env?: Record<string, string>;
  logFile: string;
}): Promise<SinkAlone> {
  const port = await freePort();
  const child = spawnTsx(path.join(REPO_ROOT, 'services/sink/src/main.ts'), {
    env: {
      ...process.env,
      ...opts.env,
      KAFKA_BROKERS: opts.brokers,
      CLICKHOUSE_URL: opts.clickhouseUrl,
      CLICKHOUSE_DATABASE: opts.database,
      SINK_GROUP_ID: opts.groupId,
      ADMIN_PORT: String(port),
      LOG_LEVEL: 'warn',
    },
    logFile: opts.logFile,
    truncate: true,
  });
  try {
    await waitForHttp(`http://127.0.0.1:${port}/healthz`, { timeoutMs: 120_000, what: 'sink (alone)' });
    // From the first inserted rows: joining the group and the first fetch are not the sink's throughput.
    const deadline = Date.now() + 60_000;
    while ((await rowsInserted(port)).total === 0 && Date.now() < deadline) await sleep(200);
    await sleep(1_000);
    const before = await rowsInserted(port);
    const cpuBefore = child.pid === undefined ? undefined : sampleProcess(child.pid);
    const t0 = Date.now();
    // Until `seconds` pass or the backlog is exhausted (no new rows for 5 s): the rate is over the busy time only.
    let last = { rows: before, at: t0, cpu: cpuBefore };
    while (Date.now() - t0 < opts.seconds * 1000) {
      await sleep(500);
      const now = await rowsInserted(port);
      if (now.total > last.rows.total) last = { rows: now, at: Date.now(), cpu: child.pid === undefined ? undefined : sampleProcess(child.pid) };
      else if (Date.now() - last.at > 5_000) break;
    }
    const seconds = (last.at - t0) / 1000;
    if (seconds <= 0) throw new Error('the sink inserted nothing after its first rows: no backlog to measure on');
    const after = last.rows;
    const rowsByTable = Object.fromEntries(Object.entries(after.byTable).map(([t, n]) => [t, Math.round((n - (before.byTable[t] ?? 0)) / seconds)]));
    return {
      pid: child.pid,
      rowsPerS: Math.round((after.total - before.total) / seconds),
      rowsByTable,
      sinkCpuCores: cpuBefore && last.cpu ? Math.round(((last.cpu.cpuSeconds - cpuBefore.cpuSeconds) / seconds) * 100) / 100 : null,
      seconds: Math.round(seconds),
    };
  } finally {
    await stopChild(child, 30_000);
  }
}

async function rowsInserted(port: number): Promise<{ total: number; byTable: Record<string, number> }> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const series = parseMetricsText(text).filter((s) => s.name === 'telltale_sink_rows_inserted_total');
  const byTable: Record<string, number> = {};
  for (const s of series) byTable[s.labels.table ?? '?'] = (byTable[s.labels.table ?? '?'] ?? 0) + s.value;
  return { total: series.reduce((a, s) => a + s.value, 0), byTable };
}

export interface DirectInsert {
  /** The better of the two formats: the ceiling. */
  rowsPerS: number;
  rows: number;
  batchRows: number;
  format: string;
  /** rows/s per format, same rows, same batches. */
  byFormat: Record<string, number>;
  rowsByTable: Record<string, number>;
}

/**
 * The same rows the sink wrote (read back from the pipeline's tables), inserted straight into copies of those
 * tables through @clickhouse/client (via @telltale/clickhouse), in batches of `batchRows`, tables interleaved as the
 * sink meets them; as JSONEachRow (objects) and as JSONCompactEachRow (arrays, what the sink sends), twice each.
 */
export async function directInsert(opts: {
  client: ClickHouseClient;
  sourceDatabase: string;
  targetDatabase: string;
  idPrefix: string;
  rowsPerTable: number;
  batchRows: number;
}): Promise<DirectInsert> {
  const { client } = opts;
  const tables = ['events', 'session_features', 'predictions'];
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${opts.targetDatabase}` });
  const perTable: Array<Array<{ table: string; rows: Array<Record<string, unknown>> }>> = [];
  const rowsByTable: Record<string, number> = {};
  for (const table of tables) {
    const result = await client.query({
      query: `SELECT * FROM ${opts.sourceDatabase}.${table} WHERE startsWith(message_id, {prefix:String}) LIMIT {n:UInt64}`,
      query_params: { prefix: opts.idPrefix, n: opts.rowsPerTable },
      format: 'JSONEachRow',
    });
    const rows = await result.json<Record<string, unknown>>();
    rowsByTable[table] = rows.length;
    const batches: Array<{ table: string; rows: Array<Record<string, unknown>> }> = [];
    for (let i = 0; i < rows.length; i += opts.batchRows) batches.push({ table, rows: rows.slice(i, i + opts.batchRows) });
    perTable.push(batches);
  }
  const order = interleave(perTable);
  const total = order.reduce((n, b) => n + b.rows.length, 0);
  const byFormat: Record<string, number> = {};
  // Two rounds, formats alternating, the better round of each kept: a shared machine's drift hits both alike.
  for (const format of ['JSONEachRow', 'JSONCompactEachRow', 'JSONEachRow', 'JSONCompactEachRow'] as const) {
    for (const table of tables) {
      await client.command({ query: `DROP TABLE IF EXISTS ${opts.targetDatabase}.${table}` });
      await client.command({ query: `CREATE TABLE ${opts.targetDatabase}.${table} AS ${opts.sourceDatabase}.${table}` });
    }
    // Encoded before the clock starts only as far as the format needs (objects as they are, arrays built here).
    const prepared = order.map((b) => {
      const columns = Object.keys(b.rows[0] ?? {}) as [string, ...string[]];
      const values: unknown[] = format === 'JSONEachRow' ? b.rows : b.rows.map((r) => columns.map((c) => r[c]));
      return { table: b.table, columns, values };
    });
    const t0 = Date.now();
    for (const b of prepared) {
      await client.insert({ table: `${opts.targetDatabase}.${b.table}`, values: b.values, format, ...(format === 'JSONCompactEachRow' ? { columns: b.columns } : {}) });
    }
    byFormat[format] = Math.max(byFormat[format] ?? 0, Math.round(total / ((Date.now() - t0) / 1000)));
  }
  for (const table of tables) await client.command({ query: `DROP TABLE IF EXISTS ${opts.targetDatabase}.${table}` });
  const [format, rowsPerS] = Object.entries(byFormat).sort((a, b) => b[1] - a[1])[0]!;
  return { rowsPerS, rows: total, batchRows: opts.batchRows, format, byFormat, rowsByTable };
}

function interleave<T>(lists: T[][]): T[] {
  const out: T[] = [];
  for (let i = 0; lists.some((l) => i < l.length); i++) for (const l of lists) if (i < l.length) out.push(l[i]!);
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
