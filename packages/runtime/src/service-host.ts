import type { AdminServer, HealthCheck } from './admin-server';
import { startAdminServer } from './admin-server';
import { ServiceLifecycle } from './lifecycle';
import { createLogger, type Logger } from './logger';
import { createMetricsRegistry, type Registry } from './metrics';

/** What the host hands a service's start(). */
export interface ServiceContext {
  logger: Logger;
  registry: Registry;
  /**
   * The checks /healthz reports. The host fills in what start() returns; a service that serves /healthz on its own
   * HTTP server (the collector) passes this object to handleAdminRequest.
   */
  health: Record<string, HealthCheck>;
  /** Aborted once the service starts stopping: retry loops and waits should end early. */
  stopSignal: AbortSignal;
  /** A component that cannot go on (a consumer that died): the service stops in order and exits 1. */
  fail(reason: string, error: unknown): void;
}

export interface StartedService {
  checks: Record<string, HealthCheck>;
  /** Stops in order: stop taking input → finish in-flight work → flush and commit → disconnect. */
  close(): Promise<void>;
  /** Fields for the "started" log line (ports, topics, groups). */
  describe?: Record<string, unknown>;
}

export interface ServiceDefinition<C extends { LOG_LEVEL: string }> {
  name: string;
  loadConfig(vars: NodeJS.ProcessEnv): C;
  /** Port of /healthz and /metrics, or null when the service mounts them on its own server (see ServiceContext.health). */
  adminPort(config: C): number | null;
  start(config: C, ctx: ServiceContext): Promise<StartedService>;
}

export interface ServiceHandle<C> {
  config: C;
  /** Port of the host's admin server (0 in config picks a free one), or null. */
  adminPort: number | null;
  lifecycle: ServiceLifecycle;
  /** Ordered stop; resolves true when it was clean. */
  stop(): Promise<boolean>;
}

export interface StartServiceOptions {
  /** Where config comes from. @default process.env */
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  registry?: Registry;
  lifecycle?: ServiceLifecycle;
}

/**
 * Starts a service in this process: config validated, the service's components started, the admin server
 * (/healthz with this pid, /metrics) up, and one ordered stop registered: the service's own close, then the admin
 * server (so /healthz answers "stopping" until the end). Used by runService and by tests that run a service in-process.
 */
export async function startService<C extends { LOG_LEVEL: string }>(
  def: ServiceDefinition<C>,
  opts: StartServiceOptions = {},
): Promise<ServiceHandle<C>> {
  const config = def.loadConfig(opts.env ?? process.env);
  const logger = opts.logger ?? createLogger(def.name, config.LOG_LEVEL);
  const registry = opts.registry ?? createMetricsRegistry(def.name);
  const lifecycle = opts.lifecycle ?? new ServiceLifecycle(logger);

  const health: Record<string, HealthCheck> = {
    lifecycle: () => (lifecycle.isStopping ? { ok: false, detail: `stopping: ${lifecycle.stopCause?.reason}` } : { ok: true }),
  };
  // TRICKY: a component may fail while start() is still running (a consumer crashing on its first batch). Remember
  // it and stop once the parts to stop are known.
  let started = false;
  let earlyFailure: { reason: string; error: unknown } | undefined;
  const fail = (reason: string, error: unknown) => {
    if (!started) {
      earlyFailure ??= { reason, error };
      return;
    }
    void lifecycle.fail(reason, error);
  };

  const parts = await def.start(config, { logger, registry, health, stopSignal: lifecycle.stopSignal, fail });
  Object.assign(health, parts.checks);
  lifecycle.onStop(def.name, () => parts.close());

  let admin: AdminServer | undefined;
  const port = def.adminPort(config);
  if (port !== null) {
    try {
      admin = await startAdminServer({ port, registry, checks: health });
    } catch (err) {
      await parts.close();
      throw new Error(`cannot serve /healthz and /metrics on port ${port}: ${(err as Error).message}`);
    }
    const server = admin;
    lifecycle.onStop('admin server', () => server.close());
  }
  started = true;
  logger.info({ pid: process.pid, adminPort: admin?.port ?? null, ...parts.describe }, `${def.name} started`);
  if (earlyFailure) fail(earlyFailure.reason, earlyFailure.error);

  return { config, adminPort: admin?.port ?? null, lifecycle, stop: () => lifecycle.stop('stop requested') };
}

/**
 * A service process's main: starts the service and ties the process to its lifecycle (signals, a lost parent,
 * crashes and component failures all stop in order; exit 0 only after a clean requested stop). A bad config or a
 * failed start logs one clear line and exits 1.
 */
export function runService<C extends { LOG_LEVEL: string }>(def: ServiceDefinition<C>): void {
  let config: C;
  try {
    config = def.loadConfig(process.env);
  } catch (err) {
    fatalStartError(def.name, err);
    return;
  }
  const logger = createLogger(def.name, config.LOG_LEVEL);
  const lifecycle = new ServiceLifecycle(logger);
  // Installed before start: a signal during start-up still stops what has been registered so far.
  lifecycle.installProcessHandlers();
  startService(def, { env: process.env, logger, lifecycle }).catch(
    (err: unknown) => fatalStartError(def.name, err),
  );
}

function fatalStartError(service: string, err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`${JSON.stringify({ level: 'fatal', service, msg: 'failed to start', error: message })}\n`);
  process.exit(1);
}
