import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, spawnTsx, stopProcessTree, waitForHttp } from './infrastructure';

export type ServiceName = 'collector' | 'enricher' | 'sink' | 'trainer' | 'scorer';

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
};

/**
 * Start stages, upstream last. NOTE: the sink runs the ClickHouse migrations, so it must be healthy before the
 * trainer queries tables; the collector comes last so nothing is accepted before the stages behind it run.
 * stop() walks the reverse: collector, enricher, scorer, trainer, sink (stop intake first, the sink drains last).
 */
export const START_STAGES: ServiceName[][] = [['sink'], ['trainer', 'scorer', 'enricher'], ['collector']];
export const STOP_ORDER: ServiceName[] = START_STAGES.flat().reverse();

export interface PipelineOptions {
  /** Merged over process.env for every service (KAFKA_BROKERS, CLICKHOUSE_URL, TOPIC_PREFIX, ...). */
  env?: Record<string, string | undefined>;
  /** Per-service env, merged over `env`. */
  serviceEnv?: Partial<Record<ServiceName, Record<string, string | undefined>>>;
  /** Ports of /healthz and /metrics (the collector's public port). @default 8080, 9101 … 9104 */
  ports?: Partial<Record<ServiceName, number>>;
  /** A subset to run, e.g. for a test of part of the pipeline. @default all five */
  services?: ServiceName[];
  /** One `<name>.log` per service, truncated at start. @default <repo>/.local/logs */
  logDir?: string;
  /** How long a service gets to answer /healthz with 200. @default 90000 */
  healthTimeoutMs?: number;
  /** Per service: SIGTERM, then SIGKILL after this. @default 20000 */
  stopTimeoutMs?: number;
  /** Progress lines ("sink healthy in 2.1 s"). */
  log?: (line: string) => void;
}

export interface RunningService {
  name: ServiceName;
  pid: number;
  port: number;
  /** http://127.0.0.1:<port>: /healthz and /metrics live here. */
  url: string;
  logFile: string;
  /** Set once the process exited: its code, or the signal's name. */
  exit: { code: number | null; signal: NodeJS.Signals | null } | null;
}

export interface Pipeline {
  services: RunningService[];
  /** SIGTERM in STOP_ORDER, each waited for (SIGKILL after the deadline). Safe to call twice. */
  stop(): Promise<void>;
}

export class ServiceStartError extends Error {
  constructor(
    readonly service: ServiceName,
    reason: string,
    readonly logTail: string,
  ) {
    super(`${service} did not become healthy: ${reason}\n--- last lines of its log ---\n${logTail}`);
    this.name = 'ServiceStartError';
  }
}

/**
 * Spawns the services as child processes (node + tsx loader, services/<name>/src/main.ts), each with its stdout and stderr appended
 * to its log file, and waits for each one's /healthz. On any failure the ones already started are stopped before
 * the error is thrown: no orphans. Never calls process.exit, so a jest test can use it.
 */
export async function startPipeline(opts: PipelineOptions = {}): Promise<Pipeline> {
  const logDir = opts.logDir ?? path.join(REPO_ROOT, '.local/logs');
  mkdirSync(logDir, { recursive: true });
  const wanted = new Set(opts.services ?? STOP_ORDER);
  const started: Array<{ service: RunningService; child: ChildProcess }> = [];
  const log = opts.log ?? (() => undefined);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      for (const name of STOP_ORDER) {
        const entry = started.find((s) => s.service.name === name);
        if (!entry) continue;
        const t0 = Date.now();
        await stopProcessTree(entry.child, opts.stopTimeoutMs ?? 20_000);
        log(`${name} stopped in ${((Date.now() - t0) / 1000).toFixed(1)} s (${describeExit(entry.service)})`);
      }
    })();
    return stopping;
  };

  try {
    for (const stage of START_STAGES) {
      const names = stage.filter((name) => wanted.has(name));
      const entries = names.map((name) => spawnService(SERVICE_SPECS[name], opts, logDir));
      started.push(...entries);
      await Promise.all(entries.map((entry) => waitHealthy(entry, opts.healthTimeoutMs ?? 90_000, log)));
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { services: started.map((s) => s.service), stop };
}

function spawnService(spec: ServiceSpec, opts: PipelineOptions, logDir: string): { service: RunningService; child: ChildProcess } {
  const port = opts.ports?.[spec.name] ?? spec.defaultPort;
  const logFile = path.join(logDir, `${spec.name}.log`);
  const env: NodeJS.ProcessEnv = { ...process.env, ...opts.env, ...opts.serviceEnv?.[spec.name], [spec.portVar]: String(port) };
  // A process group of its own (detached) keeps a terminal's Ctrl-C from reaching the services before we stop them
  // in order, and lets the SIGKILL fallback take anything the service started with it.
  const child = spawnTsx(path.join(REPO_ROOT, 'services', spec.name, 'src/main.ts'), {
    cwd: REPO_ROOT,
    env,
    logFile,
    truncate: true,
    detached: true,
  });
  const service: RunningService = { name: spec.name, pid: child.pid ?? -1, port, url: `http://127.0.0.1:${port}`, logFile, exit: null };
  child.once('exit', (code, signal) => {
    service.exit = { code, signal };
  });
  child.once('error', (err) => {
    service.exit = { code: -1, signal: null };
    service.logFile = `${logFile} (spawn failed: ${err.message})`;
  });
  return { service, child };
}

async function waitHealthy(entry: { service: RunningService }, timeoutMs: number, log: (line: string) => void): Promise<void> {
  const { service } = entry;
  const t0 = Date.now();
  try {
    await waitForHttp(`${service.url}/healthz`, {
      timeoutMs,
      what: `${service.name} /healthz on ${service.url}`,
      failure: () => (service.exit ? `exited (${describeExit(service)}) before it was healthy` : undefined),
    });
  } catch (err) {
    throw new ServiceStartError(service.name, `${(err as Error).message} (log: ${service.logFile})`, tailOf(service.logFile, 25));
  }
  log(`${service.name} healthy on ${service.url} in ${((Date.now() - t0) / 1000).toFixed(1)} s (pid ${service.pid})`);
}

function describeExit(service: RunningService): string {
  if (!service.exit) return 'running';
  return service.exit.signal ? `signal ${service.exit.signal}` : `exit code ${service.exit.code}`;
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
