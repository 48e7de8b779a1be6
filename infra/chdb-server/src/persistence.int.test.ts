/**
 * The data directory outlives the server, in-process and through the CLI (signals, graceful shutdown, env validation).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ClickHouseLogLevel, createClient } from '@clickhouse/client';
import { startChdbServer } from './server';

jest.setTimeout(60_000);

const PACKAGE_DIR = path.resolve(__dirname, '..');
// NOTE: this process's node with tsx's loader, as the launcher runs it: the project's Node whatever PATH says, and one
// process that gets our signals itself (the tsx CLI would run main.ts in a grandchild and relay them).
const TSX_LOADER = pathToFileURL(require.resolve('tsx')).href;
const MAIN = path.join(PACKAGE_DIR, 'src/main.ts');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

interface Cli {
  child: ChildProcess;
  lines: Array<Record<string, unknown>>;
  stderr: string[];
  exited: Promise<number | null>;
  /** The first log line with this event (and these field values). */
  waitFor(event: string, fields?: Record<string, unknown>, timeoutMs?: number): Promise<Record<string, unknown>>;
}

function startCli(env: Record<string, string>): Cli {
  const child = spawn(process.execPath, ['--import', TSX_LOADER, MAIN], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Array<Record<string, unknown>> = [];
  const stderr: string[] = [];
  let buf = '';
  const waiters: Array<() => void> = [];
  child.stdout!.on('data', (chunk: Buffer) => {
    buf += chunk.toString();
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      lines.push(JSON.parse(line) as Record<string, unknown>); // every stdout line must be JSON
      waiters.forEach((w) => w());
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    lines,
    stderr,
    exited,
    waitFor: (event, fields = {}, timeoutMs = 60_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const hit = lines.find((l) => l.event === event && Object.entries(fields).every(([k, v]) => l[k] === v));
          if (hit) {
            clearTimeout(timer);
            resolve(hit);
          }
        };
        const timer = setTimeout(() => reject(new Error(`no "${event}" event within ${timeoutMs} ms; got ${JSON.stringify(lines)} ${stderr.join('')}`)), timeoutMs);
        waiters.push(check);
        void exited.then(() => setTimeout(() => {
          check();
          reject(new Error(`exited before "${event}": ${JSON.stringify(lines)} ${stderr.join('')}`));
        }, 50));
        check();
      }),
  };
}

describe('persistence and the CLI', () => {
  const dirs: string[] = [];
  const tmp = () => {
    const d = mkdtempSync(path.join(os.tmpdir(), 'chdb-server-persist-'));
    dirs.push(d);
    return d;
  };
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('keeps the data across a restart on the same data directory', async () => {
    const dataDir = tmp();
    const first = await startChdbServer({ port: 0, dataDir });
    const c1 = createClient({ url: first.url });
    await c1.command({ query: 'CREATE TABLE kept (id UInt32, tag LowCardinality(String)) ENGINE = MergeTree ORDER BY id' });
    await c1.insert({ table: 'kept', values: Array.from({ length: 1000 }, (_, id) => ({ id, tag: `t${id % 3}` })), format: 'JSONEachRow' });
    await c1.close();
    await first.close();

    const second = await startChdbServer({ port: 0, dataDir });
    const c2 = createClient({ url: second.url });
    try {
      const rs = await c2.query({ query: 'SELECT count() AS n, sum(id) AS s, uniqExact(tag) AS tags FROM kept', format: 'JSONEachRow' });
      expect(await rs.json()).toEqual([{ n: '1000', s: '499500', tags: '3' }]);
    } finally {
      await c2.close();
      await second.close();
    }
  });

  it('CLI: logs JSON, finishes the in-flight query on SIGTERM, exits 0, and the data survives a restart (SIGINT too)', async () => {
    const dataDir = tmp();
    const port = await freePort();
    const env = { CHDB_PORT: String(port), CHDB_HOST: '127.0.0.1', CHDB_DATA_DIR: dataDir, CHDB_LOG_QUERIES: '1' };
    const url = `http://127.0.0.1:${port}`;

    const first = startCli(env);
    children.push(first.child);
    const start = await first.waitFor('start');
    expect(start).toMatchObject({ level: 'info', url, data_dir: dataDir });

    const client = createClient({ url, log: { level: ClickHouseLogLevel.OFF } });
    await client.command({ query: 'CREATE TABLE cli_kept (id UInt32) ENGINE = MergeTree ORDER BY id' });
    await client.insert({ table: 'cli_kept', values: Array.from({ length: 500 }, (_, id) => ({ id })), format: 'JSONEachRow' });
    const bad = await client.query({ query: 'SELEC 1' }).catch((e: unknown) => e);
    expect((bad as { type?: string }).type).toBe('SYNTAX_ERROR');

    const inFlight = client
      .query({ query: 'SELECT sleep(1.5) AS s, count() AS n FROM cli_kept', format: 'JSONEachRow', query_id: 'in-flight-at-sigterm' })
      .then((rs) => rs.json());
    // SIGTERM only once the server has the query running (its query_start line), not after a guessed delay.
    expect(await first.waitFor('query_start', { query_id: 'in-flight-at-sigterm' })).toMatchObject({ query: expect.stringContaining('sleep(1.5)') });
    first.child.kill('SIGTERM');
    expect(await inFlight).toEqual([{ s: 0, n: '500' }]);
    expect(await first.exited).toBe(0);
    await client.close();
    expect(first.lines.map((l) => l.event)).toEqual(expect.arrayContaining(['start', 'query_error', 'stopping', 'stopped']));
    // The in-flight query finished after the stop began, and before the server said it stopped.
    const events = first.lines.map((l) => (l.event === 'query_finish' && l.query_id === 'in-flight-at-sigterm' ? 'in-flight finished' : l.event));
    expect(events.indexOf('stopping')).toBeLessThan(events.indexOf('in-flight finished'));
    expect(events.indexOf('in-flight finished')).toBeLessThan(events.indexOf('stopped'));
    expect(first.lines.find((l) => l.event === 'query_finish' && l.query_id === 'in-flight-at-sigterm')).toMatchObject({ result_rows: 1 });
    expect(first.lines.find((l) => l.event === 'query_error')).toMatchObject({ code: 62, type: 'SYNTAX_ERROR', status: 400 });

    const second = startCli(env);
    children.push(second.child);
    await second.waitFor('start');
    const again = createClient({ url });
    const rs = await again.query({ query: 'SELECT count() AS n FROM cli_kept', format: 'JSONEachRow' });
    expect(await rs.json()).toEqual([{ n: '500' }]);
    await again.close();
    second.child.kill('SIGINT');
    expect(await second.exited).toBe(0);
    expect(second.lines.at(-1)).toMatchObject({ event: 'stopped', signal: 'SIGINT' });
  });

  it('CLI: refuses a second process on the same data directory, and bad env values, with a clear message', async () => {
    const dataDir = tmp();
    const owner = startCli({ CHDB_PORT: String(await freePort()), CHDB_DATA_DIR: dataDir });
    children.push(owner.child);
    await owner.waitFor('start');

    const intruder = startCli({ CHDB_PORT: String(await freePort()), CHDB_DATA_DIR: dataDir });
    children.push(intruder.child);
    const failed = await intruder.waitFor('start_failed');
    expect(failed.message).toMatch(/one process per data directory/);
    expect(await intruder.exited).toBe(1);

    owner.child.kill('SIGTERM');
    expect(await owner.exited).toBe(0);

    const badEnv = startCli({ CHDB_PORT: 'eighty', CHDB_DATA_DIR: dataDir });
    children.push(badEnv.child);
    const invalid = await badEnv.waitFor('config_invalid');
    expect(invalid.message).toMatch(/CHDB_PORT must be an integer from 0 to 65535.*"eighty"/);
    expect(await badEnv.exited).toBe(2);
    expect(badEnv.stderr.join('')).toMatch(/CHDB_PORT/);
  });
});
