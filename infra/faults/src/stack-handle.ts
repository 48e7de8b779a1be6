import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import { isAlive, processesUnder, sleep, withDeadline, type StrayProcess } from './stack-processes';
import { pidsOf, readStackState, type StackProcess, type StackProcessName, type StackState } from './stack-state';

export const REPO_ROOT = path.resolve(__dirname, '../../..');
/** Added by the launcher to every port: collector 28080, ClickHouse 28123, Kafka 29092, admin ports 2910x. */
export const FAULTS_PORT_OFFSET = 20_000;

/**
 * Variables of the parent (a jest worker, a developer's shell) that must not reach the stack: they would point it at
 * another cluster (jest's integration global setup exports KAFKA_BROKERS and CLICKHOUSE_URL to every worker) or
 * change how the services behave (NODE_ENV=test makes kafkajs pick other retry defaults).
 */
const NOT_FOR_THE_STACK =
  /^(KAFKA_|CLICKHOUSE_|CHDB_|TELLTALE_|TRAFFIC_|COLLECTOR_|ENRICHER_|SINK_|TRAINER_|SCORER_|JEST_)|^(TOPIC_PREFIX|PORT|ADMIN_PORT|HOST|MODEL_NAME|LOG_LEVEL|NODE_ENV)$/;

export interface StackOptions {
  /** TELLTALE_LOCAL_DIR: Kafka and chDB data, logs and stack.json. Use a fresh one per stack. */
  dir: string;
  /** More variables for the launcher, which passes them on to the services (TRAINER_*, SINK_*, ...). */
  env?: Record<string, string>;
}

export type LauncherExit = { code: number | null; signal: NodeJS.Signals | null };

/**
 * The pipeline exactly as a user runs it (`pnpm start`), seen from outside: the launcher is spawned detached (its
 * own process group, so a SIGHUP can go to that group alone), its output goes to a file, and everything else is read
 * from `<dir>/stack.json` and the processes themselves.
 */
export class StackHandle {
  readonly stateFile: string;
  readonly launcherLog: string;
  private exit: LauncherExit | null = null;
  private readonly exited: Promise<LauncherExit>;
  private lastState: StackState | undefined;

  private constructor(
    readonly dir: string,
    child: ChildProcess,
    /** Also its process group's id: it is spawned detached. */
    readonly launcherPid: number,
    launcherLog: string,
  ) {
    this.stateFile = path.join(dir, 'stack.json');
    this.launcherLog = launcherLog;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        process.removeListener('exit', this.stopOnExit);
        resolve(this.exit);
      });
    });
    // If this process ends without stopping the stack (a failed test, Ctrl-C), the launcher still gets its SIGTERM
    // and stops everything it started.
    process.once('exit', this.stopOnExit);
  }

  static start(opts: StackOptions): StackHandle {
    mkdirSync(opts.dir, { recursive: true });
    const launcherLog = `${opts.dir}.launcher.log`;
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !NOT_FOR_THE_STACK.test(key)));
    const out = openSync(launcherLog, 'w');
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', 'infra/local-stack/src/start.ts'], {
        cwd: REPO_ROOT,
        // COLLECTOR_WRITE_KEYS empty: the collector's open mode, as the load driver posts without a write key.
        env: { ...inherited, TELLTALE_LOCAL_DIR: opts.dir, TELLTALE_PORT_OFFSET: String(FAULTS_PORT_OFFSET), TRAFFIC_EVENTS_PER_S: '0', COLLECTOR_WRITE_KEYS: '', ...opts.env },
        stdio: ['ignore', out, out],
        detached: true,
      });
      // NOTE: without a pid every signal below would go to pid -1 or group 1, i.e. to everything we may signal.
      if (child.pid === undefined) {
        child.once('error', () => undefined);
        throw new Error(`could not spawn the launcher (${process.execPath} --import tsx infra/local-stack/src/start.ts)`);
      }
      return new StackHandle(opts.dir, child, child.pid, launcherLog);
    } finally {
      closeSync(out); // the launcher holds its own copy
    }
  }

  /** To the launcher alone, or to its whole process group (what a closed terminal does). */
  signalLauncher(signal: NodeJS.Signals, target: 'process' | 'group' = 'process'): void {
    process.kill(target === 'group' ? -this.launcherPid : this.launcherPid, signal);
  }

  /** How the launcher ended; null while it runs. */
  launcherExit(): LauncherExit | null {
    return this.exit;
  }

  /** stack.json now (undefined before the launcher wrote it). */
  state(): StackState | undefined {
    const state = readStackState(this.stateFile);
    if (state) this.lastState = state;
    return state;
  }

  process(name: StackProcessName): StackProcess {
    const entry = this.state()?.processes[name];
    if (!entry) throw new Error(`${this.stateFile} has no process named ${name}`);
    return entry;
  }

  /**
   * Every pid the launcher reported (stack.json now, else the last good read), including itself and its reaper.
   * Never throws: clean-up paths use it.
   */
  knownPids(): Array<{ name: string; pid: number }> {
    let state: StackState | undefined;
    try {
      state = this.state();
    } catch {
      // a file that breaks the contract: the last good read still names the pids
    }
    state ??= this.lastState;
    const pids = state ? pidsOf(state) : [];
    return pids.some((p) => p.pid === this.launcherPid) ? pids : [{ name: 'launcher', pid: this.launcherPid }, ...pids];
  }

  /** Until stack.json says ready and every process is healthy. */
  async waitReady(timeoutMs: number): Promise<StackState> {
    return this.waitForState((s) => s.ready && !s.stopping && allHealthy(s), timeoutMs, 'the stack to be ready with every process healthy');
  }

  /** After a fault: until `name` runs under a new pid and is healthy, and so is everything else. */
  async waitRestarted(name: StackProcessName, oldPid: number, timeoutMs: number): Promise<StackState> {
    return this.waitForState(
      (s) => {
        const entry = s.processes[name];
        return entry !== undefined && entry.pid !== oldPid && entry.status === 'healthy' && allHealthy(s);
      },
      timeoutMs,
      `${name} (was pid ${oldPid}) to be restarted and healthy, with every other process healthy`,
      name,
    );
  }

  /** Sends `signal` to the process the launcher runs as `name`; returns its pid. */
  signal(name: StackProcessName, signal: NodeJS.Signals): number {
    const { pid } = this.process(name);
    if (pid === null) throw new Error(`${name} has no pid in ${this.stateFile}`);
    process.kill(pid, signal);
    return pid;
  }

  /** Resolves when the launcher has exited. */
  launcherExited(): Promise<LauncherExit> {
    return this.exited;
  }

  /**
   * The ordinary stop (SIGTERM to the launcher), then a check that nothing of the stack is left. Whatever is left
   * after the deadline is SIGKILLed and returned, so the caller can report it.
   */
  async stop(timeoutMs: number): Promise<{ exit: LauncherExit | null; leftovers: StrayProcess[] }> {
    const pids = this.knownPids();
    if (this.exit === null) process.kill(this.launcherPid, 'SIGTERM');
    const exit = (await withDeadline(this.exited, timeoutMs)) ?? null;
    const leftovers = await this.leftoversAfter(pids, exit ? 5_000 : 0);
    this.killAll();
    return { exit, leftovers };
  }

  /**
   * Polls until none of `pids` is alive and no other process of this stack (by its directory) is left, or the
   * deadline passes; returns what is still there.
   */
  async leftoversAfter(pids: Array<{ name: string; pid: number }>, timeoutMs: number): Promise<StrayProcess[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const left = new Map<number, StrayProcess>(processesUnder(this.dir).map((p) => [p.pid, p]));
      for (const { name, pid } of pids) if (!left.has(pid) && isAlive(pid)) left.set(pid, { pid, command: `(${name} in stack.json)` });
      if (left.size === 0 || Date.now() > deadline) return [...left.values()];
      await sleep(200);
    }
  }

  /** Last resort clean-up: SIGKILL to the launcher's group and to every process of this stack. */
  killAll(): void {
    const targets = new Set<number>([...this.knownPids().map((p) => p.pid), ...processesUnder(this.dir).map((p) => p.pid)]);
    tryKill(-this.launcherPid, 'SIGKILL');
    for (const pid of targets) if (isAlive(pid)) tryKill(pid, 'SIGKILL');
  }

  /** The last lines of `<dir>/logs/<name>.log`, or of the launcher's own output. */
  logTail(name: StackProcessName | 'launcher', lines = 20): string {
    const file = this.logFile(name);
    return `--- ${file} (last ${lines} lines) ---\n${tailOf(file, lines)}`;
  }

  /**
   * The last error and fatal lines of a service's log (why it crashed), without kafkajs's reconnect chatter, which
   * fills a log after any broker fault and would push the cause out of a plain tail.
   */
  logErrors(name: StackProcessName, lines = 6): string {
    const file = this.logFile(name);
    const errors = tailOf(file, 2_000, 1024 * 1024)
      .split('\n')
      .filter((line) => /"level":("error"|"fatal"|50|60)[,}]/.test(line) && !/Connection error|Failed to connect|ECONNREFUSED/.test(line));
    return `--- ${file} (last ${lines} errors) ---\n${errors.slice(-lines).map((line) => line.slice(0, 600)).join('\n') || '(none)'}`;
  }

  private logFile(name: StackProcessName | 'launcher'): string {
    return name === 'launcher' ? this.launcherLog : path.join(this.dir, 'logs', `${name}.log`);
  }

  private async waitForState(done: (s: StackState) => boolean, timeoutMs: number, what: string, about?: StackProcessName): Promise<StackState> {
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    for (;;) {
      if (this.exit) throw new Error(`launcher exited (${describeExit(this.exit)}) while waiting for ${what}\n${this.logTail('launcher', 30)}`);
      try {
        const state = this.state();
        if (state && done(state)) return state;
        lastError = undefined;
      } catch (err) {
        lastError = err; // a contract mismatch: reported if it persists until the deadline
      }
      if (Date.now() > deadline) {
        const state = this.lastState;
        throw new Error(
          [
            `timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`,
            lastError ? `last error: ${(lastError as Error).message}` : undefined,
            state ? `stack.json: ready=${state.ready} stopping=${state.stopping} ${describeProcesses(state)}` : `no ${this.stateFile} yet`,
            about ? this.logTail(about) : undefined,
            this.logTail('launcher'),
          ]
            .filter(Boolean)
            .join('\n'),
        );
      }
      await sleep(250);
    }
  }

  private readonly stopOnExit = (): void => {
    if (this.exit === null) tryKill(this.launcherPid, 'SIGTERM');
  };
}

function allHealthy(state: StackState): boolean {
  return Object.values(state.processes).every((p) => p.status === 'healthy');
}

export function describeProcesses(state: StackState): string {
  return Object.entries(state.processes)
    .map(([name, p]) => `${name}=${p.status}(pid ${p.pid}, restarts ${p.restarts})`)
    .join(' ');
}

function describeExit(exit: LauncherExit): string {
  return exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`;
}

function tryKill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // ESRCH: already gone
  }
}

/** The last `lines` lines of a file, reading only its end: service logs grow to many MB under load. */
export function tailOf(file: string, lines: number, maxBytes = 64 * 1024): string {
  let fd: number | undefined;
  try {
    const size = statSync(file).size;
    const length = Math.min(size, maxBytes);
    const buffer = Buffer.alloc(length);
    fd = openSync(file, 'r');
    readSync(fd, buffer, 0, length, size - length);
    return buffer.toString('utf8').trimEnd().split('\n').slice(-lines).join('\n') || '(empty)';
  } catch (err) {
    return `(cannot read: ${(err as Error).message})`;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
