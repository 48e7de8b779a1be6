// chdb-server as the launcher runs it: readiness is the child's own IPC message, and it stops when the channel closes.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { freePort } from '@telltale/testing';
import { clickHouseProcessSpec, readyMessage } from './infrastructure';
import { isRunning } from './proc';

describe('chdb-server under a supervisor', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'chdb-ipc-'));
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  const exitOf = (child: ChildProcess) =>
    new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

  it('says over IPC that it listens, with its own pid; a second one on the taken port never does; both stop when their parent goes', async () => {
    const port = await freePort();
    const spec = clickHouseProcessSpec({ port, dataDir: path.join(dir, 'data'), logFile: path.join(dir, 'chdb.log') });
    const owner = spec.spawn();
    children.push(owner);
    const ownerExit = exitOf(owner);
    const ready = await readyMessage(owner, AbortSignal.timeout(60_000));
    expect(ready).toEqual({ event: 'ready', pid: owner.pid, url: `http://127.0.0.1:${port}` });
    expect(await (await fetch(`${ready.url}/ping`)).text()).toBe('Ok.\n');

    // Same port, another data dir: it answers nothing of its own, exits, and its ready message never comes.
    const stale = clickHouseProcessSpec({ port, dataDir: path.join(dir, 'data-2'), logFile: path.join(dir, 'chdb-2.log') }).spawn();
    children.push(stale);
    const abort = new AbortController();
    const staleReady = readyMessage(stale, abort.signal).then(() => 'ready', () => 'not ready');
    // Every message it sent arrives before its channel closes.
    const channelClosed = new Promise((resolve) => stale.once('disconnect', resolve));
    expect(await exitOf(stale)).toEqual({ code: 1, signal: null });
    await channelClosed;
    abort.abort();
    expect(await staleReady).toBe('not ready');
    expect(readFileSync(path.join(dir, 'chdb-2.log'), 'utf8')).toContain('EADDRINUSE');

    // The launcher dying closes the channel; disconnect() does the same from this side.
    owner.disconnect();
    expect(await ownerExit).toEqual({ code: 0, signal: null });
    expect(isRunning(owner.pid!)).toBe(false);
    expect(readFileSync(path.join(dir, 'chdb.log'), 'utf8')).toMatch(/"event":"stopped","signal":"parent_gone"/);
  });
});
