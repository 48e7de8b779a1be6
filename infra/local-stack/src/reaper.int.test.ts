import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pollUntil } from './infrastructure';
import { isRunning, startTimeOf } from './proc';
import { startReaper, type ReaperEntry } from './reaper';

describe('reaper', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'reaper-'));
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  function sleeper(): { child: ChildProcess; exited: Promise<NodeJS.Signals | null>; entry: (name: string, order: number) => ReaperEntry } {
    const child = spawn('sleep', ['120'], { detached: true, stdio: 'ignore' });
    children.push(child);
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    const pid = child.pid!;
    const startTime = startTimeOf(pid)!;
    return { child, exited, entry: (name, order) => ({ name, pid, startTime, order, watchesParent: false, stopTimeoutMs: 5_000 }) };
  }

  it('when its input ends, stops in order what it recorded and still runs; nothing else; also after being respawned', async () => {
    const logFile = path.join(dir, 'reaper.log');
    const reaper = startReaper({ logFile });
    const [first, second, stranger, forgotten] = [sleeper(), sleeper(), sleeper(), sleeper()];
    reaper.track(second.entry('second', 1));
    reaper.track(first.entry('first', 0));
    // The pid of a live process, but with another start time: the process we recorded is gone, its pid reused.
    reaper.track({ ...stranger.entry('stranger', 2), startTime: startTimeOf(stranger.child.pid!)! - 1 });
    reaper.track(forgotten.entry('forgotten', 3));
    reaper.forget('forgotten');

    // Killed while the launcher lives: a new reaper comes and is told everything the old one knew.
    const firstReaper = reaper.pid!;
    process.kill(firstReaper, 'SIGKILL');
    await pollUntil(() => reaper.pid !== null && reaper.pid !== firstReaper, AbortSignal.timeout(30_000), 50);

    await reaper.close(); // EOF, as when the launcher dies
    expect(await first.exited).toBe('SIGTERM');
    expect(await second.exited).toBe('SIGTERM');
    expect(isRunning(stranger.child.pid!)).toBe(true);
    expect(isRunning(forgotten.child.pid!)).toBe(true);
    expect(isRunning(reaper.pid ?? firstReaper)).toBe(false);
    const log = readFileSync(logFile, 'utf8');
    expect(log.indexOf(`SIGTERM first (pid ${first.child.pid})`)).toBeGreaterThan(-1);
    expect(log.indexOf(`SIGTERM second (pid ${second.child.pid})`)).toBeGreaterThan(log.indexOf('SIGTERM first'));
    expect(log).not.toContain('stranger (pid');
  });
});
