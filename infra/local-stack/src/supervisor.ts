import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { signalGroup, startTimeOf } from './proc';
import type { ProcessStatus } from './stack-file';

// One child process kept running: spawned, declared healthy only by its own answer, respawned with capped exponential
// backoff when it exits unasked, stopped with SIGTERM → deadline → SIGKILL to its whole process group.

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface RestartPolicy {
  /** Delay before the first respawn after a failure. @default 500 */
  initialDelayMs: number;
  /** The delay doubles per consecutive failure up to this. @default 30000 */
  maxDelayMs: number;
  /** An incarnation healthy this long was a success: the next failure starts from initialDelayMs again. @default 60000 */
  resetAfterMs: number;
  /**
   * Tries to get healthy the first time before start() gives up. A process that never came up is misconfigured
   * (bad env, port taken) far more often than unlucky; saying so beats retrying forever. @default 3
   */
  firstStartAttempts: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = { initialDelayMs: 500, maxDelayMs: 30_000, resetAfterMs: 60_000, firstStartAttempts: 3 };

/** Delay before respawning after `consecutiveFailures` (≥ 1) failures in a row: 0.5 s, 1 s, 2 s … 30 s. */
export function restartDelayMs(consecutiveFailures: number, policy: RestartPolicy = DEFAULT_RESTART_POLICY): number {
  return Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.max(0, consecutiveFailures - 1));
}

export interface ProcessSpec<N extends string = string> {
  name: N;
  port: number;
  url: string;
  logFile: string;
  /** Starts one incarnation. It must be `detached` (a process group of its own), so a stop can take all it started. */
  spawn(): ChildProcess;
  /**
   * Resolves once THIS incarnation says it is ready (its pid in a health answer, a message over IPC), never because
   * something answers on its port. Keeps trying until then; gives up quietly once `signal` aborts.
   */
  waitReady(child: ChildProcess, signal: AbortSignal): Promise<void>;
  /** Longer than this without getting ready: the incarnation is killed and counts as a failure. */
  readyTimeoutMs: number;
  /** SIGTERM, then SIGKILL to the group after this. */
  stopTimeoutMs: number;
  /** Exit codes of a clean stop after SIGTERM. @default [0] */
  cleanExitCodes?: readonly number[];
}

export interface SupervisorEvents {
  /** Status, pid or restarts changed. */
  onChange?(process: SupervisedProcess): void;
  /** A new incarnation runs: its pid and /proc start time (the reaper records both). */
  onSpawn?(process: SupervisedProcess, pid: number, startTime: number): void;
  /** Progress and failures, one line each. */
  log?(line: string): void;
}

export class ProcessStartError extends Error {
  constructor(
    readonly processName: string,
    reason: string,
    readonly logTail: string,
  ) {
    super(`${processName} did not become healthy: ${reason}\n--- last lines of its log ---\n${logTail}`);
    this.name = 'ProcessStartError';
  }
}

interface Incarnation {
  child: ChildProcess;
  pid: number;
  startTime: number;
  exited: Promise<ExitInfo>;
  exit?: ExitInfo;
}

type ReadyOutcome = { kind: 'ready' } | { kind: 'exited' } | { kind: 'stopped' } | { kind: 'not-ready'; reason: string };

export class SupervisedProcess<N extends string = string> {
  private currentStatus: ProcessStatus = 'starting';
  private currentPid: number | null = null;
  private restartCount = 0;
  private lastExit: ExitInfo | null = null;
  private incarnation: Incarnation | undefined;
  private everHealthy = false;
  private loop: Promise<void> | undefined;
  private stopping: Promise<boolean> | undefined;
  private readonly stopRequested = deferred<void>();
  /** Resolved by stopRestarting() or stop(): an exit from then on is final. */
  private readonly restartsEnded = deferred<void>();
  private restartsAllowed = true;
  private readonly firstHealthy = deferred<void>();
  private readonly policy: RestartPolicy;

  constructor(
    private readonly spec: ProcessSpec<N>,
    private readonly events: SupervisorEvents = {},
    policy: Partial<RestartPolicy> = {},
  ) {
    this.policy = { ...DEFAULT_RESTART_POLICY, ...policy };
    // Whoever awaits start() sees the rejection; an unawaited one must not crash the process.
    this.firstHealthy.promise.catch(() => undefined);
  }

  get name(): N {
    return this.spec.name;
  }
  get port(): number {
    return this.spec.port;
  }
  get url(): string {
    return this.spec.url;
  }
  get logFile(): string {
    return this.spec.logFile;
  }
  get status(): ProcessStatus {
    return this.currentStatus;
  }
  /** The running incarnation's pid; the last one's after it exited. */
  get pid(): number | null {
    return this.currentPid;
  }
  get restarts(): number {
    return this.restartCount;
  }
  /** How the latest incarnation ended; null while it runs. */
  get exit(): ExitInfo | null {
    return this.lastExit;
  }

  /** Spawns the first incarnation; resolves when it (or a respawn) is healthy, rejects when it gave up or was stopped first. */
  start(): Promise<void> {
    this.loop ??= this.superviseUntilStopped().catch((err: unknown) => {
      // A bug in the loop must not leave a stack that looks supervised.
      this.events.log?.(`${this.name}: supervision failed: ${(err as Error).stack ?? String(err)}`);
      this.firstHealthy.reject(err);
    });
    return this.firstHealthy.promise;
  }

  /**
   * No respawn from now on, the running incarnation left alone: a stack that is stopping calls it on every process
   * first, so one that dies while others are being stopped stays down instead of coming back mid-stop.
   */
  stopRestarting(): void {
    this.restartsAllowed = false;
    this.restartsEnded.resolve();
  }

  /** Ends supervision and stops the running incarnation. Resolves true when it exited cleanly (or was not running). */
  stop(): Promise<boolean> {
    this.stopping ??= this.stopNow();
    return this.stopping;
  }

  private async stopNow(): Promise<boolean> {
    this.stopRequested.resolve();
    this.stopRestarting();
    this.firstHealthy.reject(new Error(`${this.name} was stopped before it was healthy`));
    let clean = true;
    const running = this.incarnation;
    if (running && !running.exit) {
      const killed = await this.terminate(running);
      const exit = await running.exited;
      clean = !killed && exit.code !== null && (this.spec.cleanExitCodes ?? [0]).includes(exit.code);
    }
    await this.loop;
    this.update({ status: 'stopped' });
    return clean;
  }

  private async superviseUntilStopped(): Promise<void> {
    let failures = 0;
    let attemptsBeforeHealthy = 0;
    while (!this.isStopRequested()) {
      const incarnation = this.spawnIncarnation();
      const outcome = await this.awaitReady(incarnation);
      let healthySince: number | undefined;
      if (outcome.kind === 'ready') {
        healthySince = Date.now();
        this.everHealthy = true;
        this.update({ status: 'healthy' });
        this.events.log?.(`${this.name} healthy on ${this.url} (pid ${incarnation.pid}${this.restartCount ? `, restart ${this.restartCount}` : ''})`);
        this.firstHealthy.resolve();
      } else if (outcome.kind === 'not-ready') {
        this.events.log?.(`${this.name} (pid ${incarnation.pid}) not ready: ${outcome.reason}; stopping it`);
        await this.terminate(incarnation);
      }
      const exit = await incarnation.exited;
      if (this.isStopRequested()) return; // stopNow() owns the rest
      this.update({ status: 'exited' });
      if (!this.restartsAllowed) {
        this.events.log?.(`${this.name} (pid ${incarnation.pid}) exited (${describeExit(exit)}) while the stack stops: not restarted`);
        this.firstHealthy.reject(new Error(`${this.name} exited while the stack stops`));
        return;
      }

      if (healthySince !== undefined && Date.now() - healthySince >= this.policy.resetAfterMs) failures = 0;
      failures++;
      if (!this.everHealthy && ++attemptsBeforeHealthy >= this.policy.firstStartAttempts) {
        const reason = outcome.kind === 'not-ready' ? outcome.reason : `exited (${describeExit(exit)}) before it was healthy`;
        this.firstHealthy.reject(
          new ProcessStartError(this.name, `${reason}, ${attemptsBeforeHealthy} attempts (log: ${this.logFile})`, tailOf(this.logFile, 25)),
        );
        return;
      }
      const delay = restartDelayMs(failures, this.policy);
      this.events.log?.(`${this.name} (pid ${incarnation.pid}) exited (${describeExit(exit)}); restarting in ${(delay / 1000).toFixed(1)} s`);
      this.update({ status: 'restarting' });
      // The back-off ends early when restarts end (a stop); its timer is cleared then, so it cannot hold the process.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        void this.restartsEnded.promise.then(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      if (!this.restartsAllowed) {
        this.update({ status: 'exited' });
        this.firstHealthy.reject(new Error(`${this.name} exited while the stack stops`));
        return;
      }
      this.restartCount++;
    }
  }

  private spawnIncarnation(): Incarnation {
    const child = this.spec.spawn();
    const exited = new Promise<ExitInfo>((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
      // A failed spawn (ENOENT, EAGAIN) emits 'error' and maybe no 'exit'.
      child.once('error', () => resolve({ code: -1, signal: null }));
    });
    const pid = child.pid ?? -1;
    const incarnation: Incarnation = { child, pid, startTime: pid > 0 ? (startTimeOf(pid) ?? -1) : -1, exited };
    void exited.then((exit) => {
      incarnation.exit = exit;
      this.lastExit = exit;
    });
    this.incarnation = incarnation;
    this.lastExit = null;
    this.update({ status: 'starting', pid: pid > 0 ? pid : null });
    if (pid > 0 && incarnation.startTime >= 0) this.events.onSpawn?.(this, pid, incarnation.startTime);
    return incarnation;
  }

  private async awaitReady(incarnation: Incarnation): Promise<ReadyOutcome> {
    const abort = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race<ReadyOutcome>([
        this.spec.waitReady(incarnation.child, abort.signal).then(
          () => ({ kind: 'ready' }),
          (err: unknown) => ({ kind: 'not-ready', reason: (err as Error).message }),
        ),
        incarnation.exited.then(() => ({ kind: 'exited' })),
        this.stopRequested.promise.then(() => ({ kind: 'stopped' })),
        new Promise<ReadyOutcome>((resolve) => {
          timer = setTimeout(() => resolve({ kind: 'not-ready', reason: `no ready answer within ${this.spec.readyTimeoutMs / 1000} s` }), this.spec.readyTimeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
      abort.abort();
    }
  }

  /** SIGTERM, wait up to stopTimeoutMs, SIGKILL the group; then SIGKILL whatever is left in the group. True when SIGKILL was needed. */
  private async terminate(incarnation: Incarnation): Promise<boolean> {
    let killed = false;
    if (!incarnation.exit) {
      incarnation.child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'deadline'>((resolve) => (timer = setTimeout(() => resolve('deadline'), this.spec.stopTimeoutMs)));
      const first = await Promise.race([incarnation.exited, deadline]);
      clearTimeout(timer);
      if (first === 'deadline') {
        killed = true;
        this.events.log?.(`${this.name} (pid ${incarnation.pid}) still running ${this.spec.stopTimeoutMs / 1000} s after SIGTERM: SIGKILL`);
        signalGroup(incarnation.pid, incarnation.startTime, 'SIGKILL');
        await incarnation.exited;
      }
    }
    // Whatever the child left behind in its group (it should be nothing) goes too.
    signalGroup(incarnation.pid, incarnation.startTime, 'SIGKILL');
    return killed;
  }

  private isStopRequested(): boolean {
    return this.stopping !== undefined;
  }

  private update(change: { status?: ProcessStatus; pid?: number | null }): void {
    if (change.status !== undefined) this.currentStatus = change.status;
    if (change.pid !== undefined) this.currentPid = change.pid;
    this.events.onChange?.(this);
  }
}

export function describeExit(exit: ExitInfo | null): string {
  if (!exit) return 'running';
  return exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`;
}

/** The last `lines` lines of a file, or a note when it cannot be read. */
export function tailOf(file: string, lines: number): string {
  try {
    const text = readFileSync(file, 'utf8').trimEnd();
    return text.split('\n').slice(-lines).join('\n') || '(empty log)';
  } catch (err) {
    return `(cannot read ${file}: ${(err as Error).message})`;
  }
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(err: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

