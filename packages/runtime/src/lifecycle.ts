import type { Logger } from 'pino';

type StopStep = { name: string; run: () => Promise<void> };

/** Why a process is stopping: a request from outside (exit 0 if the stop is clean) or a failure (always exit 1). */
export type StopCause = { kind: 'request'; reason: string } | { kind: 'failure'; reason: string; error: unknown };

/**
 * Owns a process's shutdown. Steps run in the order they were registered, so register them as
 * "stop taking input → finish in-flight work → flush and commit → disconnect". stop() is safe to call twice; the
 * first cause wins. Every way a process ends (signals, a lost parent, a crash, a component that cannot go on) goes
 * through the same ordered stop, so nothing is left unflushed by the less common endings.
 */
export class ServiceLifecycle {
  private readonly steps: StopStep[] = [];
  private stopping: Promise<boolean> | undefined;
  private cause: StopCause | undefined;
  /** Aborted as soon as a stop begins: long waits (retry backoff, polling) should end early. */
  readonly stopSignal: AbortSignal;
  private readonly abort = new AbortController();

  constructor(
    private readonly logger: Logger,
    /** Upper bound for the whole shutdown; past it the process exits 1. @default 9000 (services exit within 10 s) */
    readonly deadlineMs = 9_000,
  ) {
    this.stopSignal = this.abort.signal;
  }

  onStop(name: string, run: () => Promise<void>): void {
    this.steps.push({ name, run });
  }

  get isStopping(): boolean {
    return this.stopping !== undefined;
  }

  /** The first cause given to stop() or fail(). */
  get stopCause(): StopCause | undefined {
    return this.cause;
  }

  /** Resolves true when every step succeeded and the cause was a request (exit 0), false otherwise (exit 1). */
  stop(reason: string): Promise<boolean> {
    return this.begin({ kind: 'request', reason });
  }

  /** A component that cannot go on: the same ordered stop, and the process ends non-zero. */
  fail(reason: string, error: unknown): Promise<boolean> {
    return this.begin({ kind: 'failure', reason, error });
  }

  private begin(cause: StopCause): Promise<boolean> {
    if (!this.stopping) {
      this.cause = cause;
      this.abort.abort();
      this.stopping = this.runSteps(cause);
      this.onStopBegun?.(this.stopping);
    } else if (cause.kind === 'failure') {
      this.logger.error({ err: cause.error, reason: cause.reason }, 'failure while stopping');
    }
    return this.stopping;
  }

  /** Set by installProcessHandlers: every stop, whatever began it, ends the process. */
  private onStopBegun: ((stopped: Promise<boolean>) => void) | undefined;

  private async runSteps(cause: StopCause): Promise<boolean> {
    if (cause.kind === 'failure') this.logger.error({ err: cause.error, reason: cause.reason }, 'cannot go on: stopping');
    else this.logger.info({ reason: cause.reason }, 'shutting down');
    let clean = cause.kind === 'request';
    for (const step of this.steps) {
      try {
        await step.run();
        this.logger.debug({ step: step.name }, 'stop step done');
      } catch (err) {
        clean = false;
        this.logger.error({ err, step: step.name }, 'stop step failed');
      }
    }
    this.logger.info({ clean }, 'stopped');
    return clean;
  }

  /**
   * Ties the process to this lifecycle: SIGTERM, SIGINT, SIGHUP, the loss of the parent's IPC channel (a supervisor
   * that died, even by kill -9), an uncaught exception and an unhandled rejection all run the ordered stop, then
   * exit: 0 after a clean requested stop, 1 otherwise. A second signal or the deadline exits 1 at once.
   */
  installProcessHandlers(exit: (code: number) => void = (code) => process.exit(code)): void {
    this.onStopBegun = (stopped) => {
      const timer = setTimeout(() => {
        this.logger.error({ deadlineMs: this.deadlineMs }, 'shutdown deadline passed: exiting');
        exit(1);
      }, this.deadlineMs);
      timer.unref();
      void stopped.then((clean) => exit(clean ? 0 : 1));
    };
    const onSignal = (signal: NodeJS.Signals) => {
      if (this.isStopping) {
        this.logger.warn({ signal }, 'second signal: exiting now');
        exit(1);
        return;
      }
      void this.stop(signal);
    };
    for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, onSignal);
    // NOTE: only a process spawned with an IPC channel has process.send; its channel closes when the parent dies.
    if (process.send) process.on('disconnect', () => void this.stop('parent process gone'));
    const onCrash = (what: string) => (error: unknown) => void this.fail(what, error);
    process.on('uncaughtException', onCrash('uncaught exception'));
    process.on('unhandledRejection', onCrash('unhandled rejection'));
    // Node's own warnings (deprecations and the like) go to the structured log instead of a bare line on stderr.
    process.removeAllListeners('warning');
    process.on('warning', (warning) => this.logger.warn({ warning: { name: warning.name, message: warning.message } }, 'node warning'));
  }
}

/**
 * Runs a CLI's or service's main(): a config or start-up error is logged once, clearly, and exits 1.
 */
export function runMain(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`${JSON.stringify({ level: 'fatal', msg: 'failed to start', error: message })}\n`);
    process.exit(1);
  });
}
