import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pollUntil } from './infrastructure';
import { isRunning } from './proc';
import { ProcessStartError, SupervisedProcess, restartDelayMs, type ProcessSpec } from './supervisor';

// A child that says it is ready over IPC, like chdb-server; FAIL makes it exit 3 first, IGNORE_TERM makes it ignore
// SIGTERM. It leaves when its channel closes, so nothing outlives a failed test run.
const CHILD = `
  process.on('disconnect', () => process.exit(0));
  process.on('SIGTERM', () => { if (!process.env.IGNORE_TERM) process.exit(0); });
  if (process.env.FAIL) { console.log('cannot start: FAIL is set'); process.exit(3); }
  process.send({ ready: process.pid });
  setInterval(() => {}, 1000);
`;

describe('SupervisedProcess', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'supervisor-'));
  const supervised: SupervisedProcess[] = [];
  afterAll(async () => {
    await Promise.all(supervised.map((p) => p.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  function childSpec(name: string, env: Record<string, string> = {}, overrides: Partial<ProcessSpec> = {}): ProcessSpec {
    const logFile = path.join(dir, `${name}.log`);
    return {
      name,
      port: 0,
      url: 'ipc',
      logFile,
      spawn: () => {
        const fd = openSync(logFile, 'a');
        try {
          return spawn(process.execPath, ['-e', CHILD], { env: { ...process.env, ...env }, stdio: ['ignore', fd, fd, 'ipc'], detached: true });
        } finally {
          closeSync(fd);
        }
      },
      waitReady: (child: ChildProcess, signal: AbortSignal) =>
        new Promise<void>((resolve, reject) => {
          child.on('message', (m: { ready?: number }) => m.ready === child.pid && resolve());
          signal.addEventListener('abort', () => reject(new Error('aborted')));
        }),
      readyTimeoutMs: 30_000,
      stopTimeoutMs: 10_000,
      ...overrides,
    };
  }

  function supervise(spec: ProcessSpec, policy: ConstructorParameters<typeof SupervisedProcess>[2] = {}) {
    const spawned: number[] = [];
    const lines: string[] = [];
    const p = new SupervisedProcess(spec, { onSpawn: (_p, pid) => spawned.push(pid), log: (line) => lines.push(line) }, policy);
    supervised.push(p);
    return { p, spawned, lines };
  }

  it('respawns a child killed with SIGKILL: a new pid, one restart, healthy again', async () => {
    const { p, spawned, lines } = supervise(childSpec('killed'));
    await p.start();
    expect(p.status).toBe('healthy');
    const first = p.pid!;
    process.kill(first, 'SIGKILL');
    await pollUntil(() => p.status === 'healthy' && p.pid !== first, AbortSignal.timeout(30_000), 50);
    expect(p.restarts).toBe(1);
    expect(spawned).toEqual([first, p.pid]);
    expect(lines).toContainEqual(expect.stringMatching(/^killed \(pid \d+\) exited \(signal SIGKILL\); restarting in 0\.5 s$/));
    expect(await p.stop()).toBe(true);
    expect(p.status).toBe('stopped');
    expect(isRunning(spawned[1]!)).toBe(false);
  });

  it('does not respawn a child that exits once restarts were stopped (the stack is stopping)', async () => {
    const { p, spawned, lines } = supervise(childSpec('stopping-stack'));
    await p.start();
    p.stopRestarting();
    process.kill(spawned[0]!, 'SIGKILL');
    await pollUntil(() => p.status === 'exited', AbortSignal.timeout(30_000), 20);
    expect(lines).toContainEqual(expect.stringMatching(/exited \(signal SIGKILL\) while the stack stops: not restarted$/));
    expect(await p.stop()).toBe(true);
    expect(p.status).toBe('stopped');
    expect({ restarts: p.restarts, spawned: spawned.length }).toEqual({ restarts: 0, spawned: 1 });
  });

  it('gives up on a child that never gets ready, with the end of its log', async () => {
    const { p } = supervise(childSpec('failing', { FAIL: '1' }), { firstStartAttempts: 2 });
    const error = await p.start().then(() => undefined, (err: unknown) => err);
    expect(error).toBeInstanceOf(ProcessStartError);
    expect((error as Error).message).toMatch(/exited \(exit code 3\) before it was healthy, 2 attempts/);
    expect((error as Error).message).toContain('cannot start: FAIL is set');
    expect(p.status).toBe('exited');
    expect(p.restarts).toBe(1);
  });

  it('ends a restart back-off at once when stopped', async () => {
    // A back-off far longer than this test's timeout: waiting it out would fail the test.
    const { p } = supervise(childSpec('backing-off', { FAIL: '1' }), { firstStartAttempts: 5, initialDelayMs: 600_000, maxDelayMs: 600_000 });
    const started = p.start().then(() => 'healthy', (err: unknown) => (err as Error).message);
    await pollUntil(() => p.status === 'restarting', AbortSignal.timeout(30_000), 20);
    expect(await p.stop()).toBe(true);
    expect(await started).toBe('backing-off was stopped before it was healthy');
    expect(p.status).toBe('stopped');
  }, 60_000);

  it('SIGKILLs a child that ignores SIGTERM, and reports the stop as not clean', async () => {
    const { p, spawned } = supervise(childSpec('stubborn', { IGNORE_TERM: '1' }, { stopTimeoutMs: 300 }));
    await p.start();
    expect(await p.stop()).toBe(false);
    expect(p.exit).toEqual({ code: null, signal: 'SIGKILL' });
    expect(isRunning(spawned[0]!)).toBe(false);
  });

  it('backs off 0.5 s, doubling, up to 30 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 20].map((n) => restartDelayMs(n))).toEqual([500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  });
});
