// `pnpm start` as a user runs it, as a process: its own Kafka, chDB and services (or the test infra's), supervised,
// and gone with it however it ends. Each stack has its own TELLTALE_LOCAL_DIR and TELLTALE_PORT_OFFSET (the fault
// suite uses 20000; jest's infra 19092 / 18123; these stay below the ephemeral range that starts at 32768).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestDatabase, eventually, testId, type TestDatabase } from '@telltale/testing';
import { REPO_ROOT, tsxCommand } from './infrastructure';
import { healthOf } from './pipeline';
import { isRunning, signalGroup, startTimeOf } from './proc';
import { readStackFile, STACK_PROCESS_NAMES, type StackFile } from './stack-file';

const START = path.join(REPO_ROOT, 'infra/local-stack/src/start.ts');
const STOP = path.join(REPO_ROOT, 'infra/local-stack/src/stop.ts');
const SERVICES = ['collector', 'console', 'enricher', 'query', 'scorer', 'sink', 'trainer'];

interface Launched {
  child: ChildProcess;
  dir: string;
  stack(): StackFile | undefined;
  output(): string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const launched: Launched[] = [];

function launch(offset: number, env: Record<string, string | undefined>, dir = mkdtempSync(path.join(tmpdir(), `launcher-${offset}-`))): Launched {
  const { command, args } = tsxCommand(START);
  // Its own process group (detached), as a shell gives `pnpm start` one: a SIGHUP to it is a closed terminal.
  const child = spawn(command, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, TELLTALE_LOCAL_DIR: dir, TELLTALE_PORT_OFFSET: String(offset), LOG_LEVEL: 'info', ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stdout!.on('error', () => undefined);
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const handle = { child, dir, stack: () => readStackFile(path.join(dir, 'stack.json')), output: () => output, exit };
  launched.push(handle);
  return handle;
}

/** Without KAFKA_BROKERS / CLICKHOUSE_URL (which jest's global setup exported): the launcher starts its own. */
const OWN_INFRA = { KAFKA_BROKERS: undefined, CLICKHOUSE_URL: undefined };

/** Polls stack.json until `ok`; fails at once, with the launcher's output, when the launcher exits first. */
async function stackWhere(l: Launched, what: string, ok: (s: StackFile) => boolean, timeoutMs: number): Promise<StackFile> {
  let exited = false;
  void l.exit.then(() => (exited = true));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = l.stack();
    if (s !== undefined && ok(s)) return s;
    if (exited || Date.now() > deadline) {
      throw new Error(`${exited ? 'the launcher exited' : `timed out after ${timeoutMs} ms`} waiting for ${what}; its output:\n${l.output()}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

const everyPid = (s: StackFile): number[] =>
  [s.launcherPid, s.reaperPid, ...Object.values(s.processes).map((p) => p.pid)].filter((pid): pid is number => pid !== null);
const allHealthy = (s: StackFile) => s.ready && Object.values(s.processes).every((p) => p.status === 'healthy');

afterEach(() => {
  // Whatever a failed test left: SIGKILL to every recorded process group, then the data.
  for (const l of launched.splice(0)) {
    for (const pid of [l.child.pid!, ...everyPid(l.stack() ?? ({ launcherPid: l.child.pid!, reaperPid: null, processes: {} } as unknown as StackFile))]) {
      const startTime = startTimeOf(pid);
      if (startTime !== undefined && isRunning(pid)) signalGroup(pid, startTime, 'SIGKILL');
    }
    rmSync(l.dir, { recursive: true, force: true });
  }
});

describe('pnpm start', () => {
  it('respawns a service killed with SIGKILL; a SIGHUP to its process group (terminal closed) stops everything and exits 0', async () => {
    const l = launch(21000, { ...OWN_INFRA, TRAFFIC_EVENTS_PER_S: '5' });
    const ready = await stackWhere(l, 'the stack ready', allHealthy, 240_000);
    expect(Object.keys(ready.processes).sort()).toEqual([...STACK_PROCESS_NAMES].sort());
    expect(ready.launcherPid).toBe(l.child.pid);

    // A second launcher on the same directory and ports refuses, naming what is in the way.
    const second = launch(21000, OWN_INFRA, l.dir);
    expect(await second.exit).toEqual({ code: 1, signal: null });
    expect(second.output()).toContain(`refusing to start: a launcher (pid ${l.child.pid}) recorded in`);
    expect(second.output()).toContain(`refusing to start: port 29080 (collector) is taken by pid ${ready.processes.collector!.pid}`);

    const killed = ready.processes.collector!.pid!;
    process.kill(killed, 'SIGKILL');
    const after = await stackWhere(
      l,
      'the collector back with a new pid',
      (s) => s.processes.collector?.status === 'healthy' && s.processes.collector.pid !== killed,
      120_000,
    );
    const collector = after.processes.collector!;
    expect(collector.restarts).toBe(1);
    expect(await healthOf(collector.url, collector.pid)).toEqual({ healthy: true });
    expect(Object.fromEntries(Object.entries(after.processes).map(([name, p]) => [name, p.restarts]))).toEqual({ ...Object.fromEntries(STACK_PROCESS_NAMES.map((n) => [n, 0])), collector: 1 });

    const pids = [...everyPid(after), killed];
    process.kill(-l.child.pid!, 'SIGHUP');
    expect(await l.exit).toEqual({ code: 0, signal: null });
    expect(pids.filter(isRunning)).toEqual([]);
    const final = l.stack()!;
    expect(final.stopping).toBe(true);
    expect(Object.values(final.processes).map((p) => p.status)).toEqual(Array(9).fill('stopped'));
    // In stop order.
    const stops = [...l.output().matchAll(/^ {2}(\w+) stopped in|^ {2}stopped (clickhouse|kafka) in/gm)].map((m) => m[1] ?? m[2]);
    expect(stops).toEqual(['query', 'console', 'collector', 'enricher', 'scorer', 'trainer', 'sink', 'clickhouse', 'kafka']);
  }, 600_000);

  it('killed with SIGKILL, leaves nothing running: the services and chdb-server see their IPC channel close, the reaper stops Kafka', async () => {
    const l = launch(22000, { ...OWN_INFRA, TRAFFIC_EVENTS_PER_S: '0' });
    const ready = await stackWhere(l, 'the stack ready', allHealthy, 240_000);
    expect(l.output()).toContain('traffic: none (TRAFFIC_EVENTS_PER_S=0)');
    const pids = everyPid(ready);
    expect(pids).toHaveLength(11); // launcher, reaper, kafka, clickhouse, five services, the console, the query API

    process.kill(l.child.pid!, 'SIGKILL');
    await eventually(() => pids.every((pid) => !isRunning(pid)), `every recorded pid gone: ${pids.filter(isRunning)}`, 120_000);
    expect(readFileSync(path.join(l.dir, 'logs/reaper.log'), 'utf8')).toMatch(/launcher gone; still running: .*kafka \(pid \d+\)/);
  }, 600_000);

  describe('on the test infra (KAFKA_BROKERS, CLICKHOUSE_URL)', () => {
    let db: TestDatabase;
    beforeEach(async () => {
      db = await createTestDatabase();
    });
    afterEach(() => db.drop());

    const sharedInfra = () => {
      const id = testId('launcher');
      return {
        CLICKHOUSE_DATABASE: db.settings.database,
        TOPIC_PREFIX: `${id}.`,
        ENRICHER_GROUP_ID: `${id}-enricher`,
        SINK_GROUP_ID: `${id}-sink`,
        SCORER_GROUP_ID: `${id}-scorer`,
        TRAFFIC_EVENTS_PER_S: '5',
      };
    };

    it('stops everything and exits 0 when its stdout pipe closes (`pnpm start | head`)', async () => {
      const l = launch(22500, sharedInfra());
      const ready = await stackWhere(l, 'the stack ready', allHealthy, 240_000);
      // Kafka and ClickHouse are somebody else's: not started, not in stack.json.
      expect(Object.keys(ready.processes).sort()).toEqual(SERVICES);
      const pids = everyPid(ready);

      l.child.stdout!.destroy(); // the next status line (every 5 s) meets EPIPE
      expect(await l.exit).toEqual({ code: 0, signal: null });
      expect(pids.filter(isRunning)).toEqual([]);
      expect(readFileSync(path.join(l.dir, 'logs/launcher.log'), 'utf8')).toContain('stdout closed (EPIPE): stopping');
    }, 600_000);

    it('`pnpm stop` stops the stack recorded in TELLTALE_LOCAL_DIR', async () => {
      const l = launch(22500, sharedInfra());
      const ready = await stackWhere(l, 'the stack ready', allHealthy, 240_000);
      const pids = everyPid(ready);

      const { command, args } = tsxCommand(STOP);
      const stop = spawnSync(command, args, { cwd: REPO_ROOT, env: { ...process.env, TELLTALE_LOCAL_DIR: l.dir }, encoding: 'utf8' });
      expect(stop.stdout).toContain(`stopping the launcher (pid ${l.child.pid})`);
      expect(stop.stdout).toContain('stopped: nothing recorded in stack.json runs any more');
      expect(stop.status).toBe(0);
      expect(await l.exit).toEqual({ code: 0, signal: null });
      expect(pids.filter(isRunning)).toEqual([]);
    }, 600_000);
  });

  it('refuses to start when one of its ports is taken, naming the port and the pid holding it', async () => {
    const collectorPort = 8080 + 21500;
    const server = createServer().listen(collectorPort, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const l = launch(21500, OWN_INFRA);
      expect(await l.exit).toEqual({ code: 1, signal: null });
      expect(l.output()).toContain(`refusing to start: port ${collectorPort} (collector) is taken by pid ${process.pid}`);
      expect(l.stack()).toBeUndefined(); // nothing was started
    } finally {
      server.close();
    }
  });
});
