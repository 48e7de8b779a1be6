import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, pollUntil, spawnTsx } from './infrastructure';
import { SupervisedProcess, describeExit, type ProcessSpec, type RestartPolicy, type SupervisorEvents } from './supervisor';

export type ServiceName = 'collector' | 'enricher' | 'sink' | 'trainer' | 'scorer' | 'console' | 'query';

interface ServiceSpec {
  name: ServiceName;
  /** The variable naming the port its /healthz and /metrics listen on. */
  portVar: 'PORT' | 'ADMIN_PORT';
  defaultPort: number;
}

export const SERVICE_SPECS: Record<ServiceName, ServiceSpec> = {
  collector: { name: 'collector', portVar: 'PORT', defaultPort: 8080 },
  enricher: { name: 'enricher', portVar: 'ADMIN_PORT', defaultPort: 9101 },
  sink: { name: 'sink', portVar: 'ADMIN_PORT', defaultPort: 9102 },
  trainer: { name: 'trainer', portVar: 'ADMIN_PORT', defaultPort: 9103 },
  scorer: { name: 'scorer', portVar: 'ADMIN_PORT', defaultPort: 9104 },
  console: { name: 'console', portVar: 'PORT', defaultPort: 8090 },
  query: { name: 'query', portVar: 'PORT', defaultPort: 8070 },
};

/**
 * Start stages, upstream last. NOTE: the sink runs the ClickHouse migrations, so it must be healthy before the
 * trainer queries tables; the collector comes last so nothing is accepted before the stages behind it run.
 * The console (the live view) and the query API only read, so they come last and go first: nothing waits for them.
 * stop() walks the reverse: query, console, collector, enricher, scorer, trainer, sink (stop intake first, the sink drains last).
 */
export const START_STAGES: ServiceName[][] = [['sink'], ['trainer', 'scorer', 'enricher'], ['collector'], ['console', 'query']];
export const STOP_ORDER: ServiceName[] = START_STAGES.flat().reverse();
/** The five stages of the pipeline, without the readers (live view, query API): what createPipeline runs unless told otherwise. */
export const PIPELINE_SERVICES: ServiceName[] = STOP_ORDER.filter((name) => name !== 'console' && name !== 'query');

export interface PipelineOptions {
  /** Merged over process.env for every service (KAFKA_BROKERS, CLICKHOUSE_URL, TOPIC_PREFIX, ...). */
  env?: Record<string, string | undefined>;
  /** Per-service env, merged over `env`. */
  serviceEnv?: Partial<Record<ServiceName, Record<string, string | undefined>>>;
  /** Ports of /healthz and /metrics (the collector's public port). @default 8080, 9101 … 9104 */
  ports?: Partial<Record<ServiceName, number>>;
  /** Which to run, e.g. a test of part of the pipeline; the launcher adds 'console' and 'query'. @default PIPELINE_SERVICES (the five stages) */
  services?: ServiceName[];
  /** One `<name>.log` per service, truncated at start, appended to by restarts. @default <repo>/.local/logs */
  logDir?: string;
  /** How long a service gets to answer /healthz with 200 and its own pid. @default 90000 */
  healthTimeoutMs?: number;
  /** Per service: SIGTERM, then SIGKILL after this. @default 20000 */
  stopTimeoutMs?: number;
  /** Progress lines ("sink healthy on … (pid 123)", restarts). */
  log?: (line: string) => void;
  /** Status changes and spawns, e.g. for a stack file and a reaper. */
  events?: Omit<SupervisorEvents, 'log'>;
  restartPolicy?: Partial<RestartPolicy>;
  /** The node binary that runs the services (the launcher's TELLTALE_NODE). @default process.execPath */
  node?: string;
}

/** A supervised service: its pid, exit and restarts follow the current incarnation. */
export type RunningService = SupervisedProcess<ServiceName>;

export interface Pipeline {
  services: RunningService[];
  /** Spawns the stages in order, each healthy before the next; rejects with ProcessStartError (with a log tail). */
  start(): Promise<void>;
  /** SIGTERM in STOP_ORDER, each waited for (SIGKILL after the deadline). Safe to call twice; true when all exited cleanly. */
  stop(): Promise<boolean>;
}

/**
 * The services as supervised child processes (node + tsx loader, services/<name>/src/main.ts), each with stdout and
 * stderr in its log file and an IPC channel to this process: when this process dies, even by SIGKILL, the channel
 * closes and each service runs its ordered stop. A service that exits unasked is respawned with backoff.
 */
export function createPipeline(opts: PipelineOptions = {}): Pipeline {
  const logDir = opts.logDir ?? path.join(REPO_ROOT, '.local/logs');
  mkdirSync(logDir, { recursive: true });
  const wanted = new Set(opts.services ?? PIPELINE_SERVICES);
  const log = opts.log ?? (() => undefined);
  const services = STOP_ORDER.filter((name) => wanted.has(name)).map(
    (name) => new SupervisedProcess(serviceProcessSpec(SERVICE_SPECS[name], opts, logDir, wanted), { ...opts.events, log }, opts.restartPolicy),
  );
  const byName = (name: ServiceName) => services.find((s) => s.name === name);

  let stopping: Promise<boolean> | undefined;
  return {
    services,
    async start() {
      for (const stage of START_STAGES) {
        const starting = stage.map(byName).filter((s): s is RunningService => s !== undefined);
        await Promise.all(starting.map((s) => s.start()));
      }
    },
    stop() {
      stopping ??= (async () => {
        for (const service of services) service.stopRestarting();
        let clean = true;
        for (const service of services) {
          const t0 = Date.now();
          const wasRunning = service.exit === null && service.pid !== null;
          clean = (await service.stop()) && clean;
          if (wasRunning) log(`${service.name} stopped in ${((Date.now() - t0) / 1000).toFixed(1)} s (${describeExit(service.exit)})`);
        }
        return clean;
      })();
      return stopping;
    },
  };
}

/** createPipeline + start; on a failed start the services already started are stopped before the error is thrown. */
export async function startPipeline(opts: PipelineOptions = {}): Promise<Pipeline> {
  const pipeline = createPipeline(opts);
  try {
    await pipeline.start();
  } catch (err) {
    await pipeline.stop();
    throw err;
  }
  return pipeline;
}

/** The base URL of a service's /healthz and /metrics. */
export function serviceUrl(name: ServiceName, opts: Pick<PipelineOptions, 'ports'> = {}): string {
  return `http://127.0.0.1:${opts.ports?.[name] ?? SERVICE_SPECS[name].defaultPort}`;
}

function serviceProcessSpec(spec: ServiceSpec, opts: PipelineOptions, logDir: string, running: Set<ServiceName>): ProcessSpec<ServiceName> {
  const port = opts.ports?.[spec.name] ?? spec.defaultPort;
  const url = serviceUrl(spec.name, opts);
  const logFile = path.join(logDir, `${spec.name}.log`);
  // The live view reads the /metrics of the stages running beside it, wherever their ports are.
  const targets = PIPELINE_SERVICES.filter((name) => running.has(name)).map((name) => `${name}=${serviceUrl(name, opts)}`);
  const consoleEnv = spec.name === 'console' && targets.length > 0 ? { CONSOLE_METRICS_TARGETS: targets.join(',') } : {};
  const env: NodeJS.ProcessEnv = { ...process.env, ...opts.env, ...consoleEnv, ...opts.serviceEnv?.[spec.name], [spec.portVar]: String(port) };
  let spawned = 0;
  return {
    name: spec.name,
    port,
    url,
    logFile,
    // A process group of its own (detached) keeps a terminal's Ctrl-C from reaching the services before we stop them
    // in order, and lets the SIGKILL fallback take anything the service started with it. The IPC channel ties its
    // life to ours.
    spawn: () =>
      spawnTsx(path.join(REPO_ROOT, 'services', spec.name, 'src/main.ts'), { cwd: REPO_ROOT, env, logFile, truncate: spawned++ === 0, detached: true, ipc: true, node: opts.node }),
    waitReady: (child, signal) => pollUntil(async () => (await healthOf(url, child.pid)).healthy === true, signal),
    readyTimeoutMs: opts.healthTimeoutMs ?? 90_000,
    stopTimeoutMs: opts.stopTimeoutMs ?? 20_000,
  };
}

export interface HealthAnswer {
  /** true: 200 from the expected process; false: 503, or another process answered; undefined: no answer. */
  healthy: boolean | undefined;
  /** The pid in the answer, when it is not the expected one: a stale process holds the port. */
  foreignPid?: number;
}

/**
 * GET /healthz, judged against the pid we expect: a process left from an earlier run answers 200 too, with its own pid
 * (the runtime's skeleton puts `pid` in every answer; one without it is not from a service of ours).
 */
export async function healthOf(url: string, expectedPid: number | null | undefined, timeoutMs = 2_000): Promise<HealthAnswer> {
  let res: Response;
  try {
    res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(timeoutMs) });
  } catch {
    return { healthy: undefined };
  }
  const body = (await res.json().catch(() => ({}))) as { pid?: unknown };
  if (body.pid !== expectedPid || expectedPid === null || expectedPid === undefined) {
    return typeof body.pid === 'number' ? { healthy: false, foreignPid: body.pid } : { healthy: false };
  }
  return { healthy: res.status === 200 };
}
