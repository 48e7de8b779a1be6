import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { spawnTsx } from './infrastructure';
import { sameProcess, signalGroup, signalProcess } from './proc';

// The reaper: the launcher's backstop for the one way it cannot clean up itself, being killed (kill -9, OOM killer).
// A tiny detached node process (its own session, so a terminal's SIGHUP or Ctrl-C does not reach it) reads one JSON
// line per spawned child on stdin, a pipe whose only writer is the launcher. The kernel closes that pipe when the
// launcher dies, however it dies; on EOF the reaper stops whatever it recorded that still runs, in stop order, and
// exits. After a normal stop everything it recorded is gone already, so it exits at once.

const REAPER_MAIN = path.join(__dirname, 'reaper.main.ts');

export interface ReaperEntry {
  name: string;
  pid: number;
  /** From /proc/<pid>/stat: the reaper signals only this process, never a later one that got the same pid. */
  startTime: number;
  /** Position in the stop order; lower stops first. */
  order: number;
  /**
   * It watches its IPC channel to the launcher and runs its own ordered stop when that closes; it gets time for it
   * before any signal, since a second signal cuts a service's stop short.
   */
  watchesParent: boolean;
  /** SIGTERM, then SIGKILL to its group after this. */
  stopTimeoutMs: number;
}

/** A line on the reaper's stdin: an entry to record (replacing the one with its name), or a name to forget. */
export type ReaperMessage = ReaperEntry | { name: string; pid: null };

export interface ReapOptions {
  /** How long children that watch their IPC channel get to stop by themselves. */
  graceMs: number;
  log: (line: string) => void;
  pollMs?: number;
}

/** Stops every recorded process that still runs: IPC watchers get `graceMs` first, then SIGTERM → SIGKILL in order. */
export async function reap(entries: ReaperEntry[], opts: ReapOptions): Promise<void> {
  const running = entries.filter((e) => sameProcess(e.pid, e.startTime)).sort((a, b) => a.order - b.order);
  if (running.length === 0) return;
  opts.log(`launcher gone; still running: ${running.map((e) => `${e.name} (pid ${e.pid})`).join(', ')}`);
  const watchers = running.filter((e) => e.watchesParent);
  if (watchers.length > 0 && !(await waitGone(watchers, opts.graceMs, opts.pollMs))) {
    opts.log(`after ${opts.graceMs / 1000} s still running: ${watchers.filter(isRunning).map((e) => e.name).join(', ')}`);
  }
  for (const entry of running) {
    if (signalProcess(entry.pid, entry.startTime, 'SIGTERM')) {
      opts.log(`SIGTERM ${entry.name} (pid ${entry.pid})`);
      if (!(await waitGone([entry], entry.stopTimeoutMs, opts.pollMs))) {
        opts.log(`${entry.name} (pid ${entry.pid}) still running ${entry.stopTimeoutMs / 1000} s after SIGTERM: SIGKILL to its group`);
      }
    }
    // Whatever is left in its process group (a stuck leader, something it started) goes now.
    signalGroup(entry.pid, entry.startTime, 'SIGKILL');
    await waitGone([entry], 5_000, opts.pollMs);
  }
  opts.log('done');
}

const isRunning = (e: ReaperEntry) => sameProcess(e.pid, e.startTime);

async function waitGone(entries: ReaperEntry[], timeoutMs: number, pollMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (entries.some(isRunning)) {
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, pollMs));
  }
  return true;
}

export interface Reaper {
  /** The reaper's pid; null between a crash of the reaper and its respawn. */
  readonly pid: number | null;
  track(entry: ReaperEntry): void;
  forget(name: string): void;
  /** Ends its input; it stops whatever tracked process still runs and exits. Resolves once it exited. */
  close(timeoutMs?: number): Promise<void>;
}

/**
 * Spawns the reaper and keeps it running: when it dies while the launcher lives (someone killed it), a new one is
 * spawned and told everything the old one knew.
 */
export function startReaper(opts: { logFile: string; onPidChange?: (pid: number | null) => void; log?: (line: string) => void }): Reaper {
  const entries = new Map<string, ReaperEntry>();
  let child: ChildProcess | undefined;
  let closing = false;
  let exited: Promise<void> = Promise.resolve();

  const send = (message: ReaperMessage) => {
    // A dead reaper's pipe fails with EPIPE; its replacement gets every entry anyway.
    if (child?.stdin?.writable) child.stdin.write(`${JSON.stringify(message)}\n`);
  };

  const spawnReaper = () => {
    const reaper = spawnTsx(REAPER_MAIN, {
      env: process.env,
      logFile: opts.logFile,
      // Its own session: a terminal's SIGHUP / Ctrl-C must not take it with the launcher it is there to clean up after.
      detached: true,
      stdin: 'pipe',
    });
    child = reaper;
    reaper.stdin?.on('error', () => undefined);
    reaper.once('error', (err) => opts.log?.(`reaper: ${err.message}`));
    exited = new Promise((resolve) => {
      reaper.once('exit', () => resolve());
      reaper.once('error', () => resolve()); // never spawned
    });
    reaper.once('exit', (code, signal) => {
      if (child === reaper) child = undefined;
      opts.onPidChange?.(null);
      if (closing) return;
      opts.log?.(`reaper (pid ${reaper.pid}) exited (${signal ?? `code ${code}`}); starting another`);
      setTimeout(() => {
        if (!closing) spawnReaper();
      }, 1_000).unref();
    });
    opts.onPidChange?.(reaper.pid ?? null);
    for (const entry of entries.values()) send(entry);
  };
  spawnReaper();

  return {
    get pid() {
      return child?.pid ?? null;
    },
    track(entry) {
      entries.set(entry.name, entry);
      send(entry);
    },
    forget(name) {
      entries.delete(name);
      send({ name, pid: null });
    },
    async close(timeoutMs = 60_000) {
      closing = true;
      const reaper = child;
      if (!reaper) return;
      reaper.stdin?.end();
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'deadline'>((resolve) => (timer = setTimeout(() => resolve('deadline'), timeoutMs)));
      if ((await Promise.race([exited, deadline])) === 'deadline') reaper.kill('SIGKILL');
      clearTimeout(timer);
      await exited;
    },
  };
}
