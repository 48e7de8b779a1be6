import type { Logger } from 'pino';

type StopStep = { name: string; run: () => Promise<void> };

/**
 * Owns a process's shutdown. Steps run in the order they were registered, so register them as
 * "stop taking input → finish in-flight work → flush and commit → disconnect". stop() is safe to call twice.
 */
export class ServiceLifecycle {
  private readonly steps: StopStep[] = [];
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly logger: Logger,
    /** Upper bound for the whole shutdown; past it the process exits non-zero. @default 30000 */
    private readonly deadlineMs = 30_000,
  ) {}

  onStop(name: string, run: () => Promise<void>): void {
    this.steps.push({ name, run });
  }

  get isStopping(): boolean {
    return this.stopping !== undefined;
  }

  stop(reason: string): Promise<void> {
    this.stopping ??= this.runSteps(reason);
    return this.stopping;
  }

  private async runSteps(reason: string): Promise<void> {
    this.logger.info({ reason }, 'shutting down');
    for (const step of this.steps) {
      try {
        await step.run();
        this.logger.debug({ step: step.name }, 'stop step done');
      } catch (err) {
        this.logger.error({ err, step: step.name }, 'stop step failed');
      }
    }
    this.logger.info('stopped');
  }

  /** SIGTERM/SIGINT → stop() then exit 0; a second signal or the deadline exits at once. */
  installSignalHandlers(exit: (code: number) => void = (code) => process.exit(code)): void {
    const onSignal = (signal: NodeJS.Signals) => {
      if (this.isStopping) {
        this.logger.warn({ signal }, 'second signal: exiting now');
        exit(1);
        return;
      }
      const timer = setTimeout(() => {
        this.logger.error({ deadlineMs: this.deadlineMs }, 'shutdown deadline passed: exiting');
        exit(1);
      }, this.deadlineMs);
      timer.unref();
      void this.stop(signal).then(() => exit(0));
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  }
}

/**
 * Runs a service's main(): a config or start-up error is logged once, clearly, and exits 1.
 */
export function runMain(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`${JSON.stringify({ level: 'fatal', msg: 'failed to start', error: message })}\n`);
    process.exit(1);
  });
}
