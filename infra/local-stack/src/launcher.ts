import { spawnSync } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { startTraffic, type TrafficOptions, type TrafficRun } from '@telltale/traffic-generator';
import { REPO_ROOT, clickHouseProcessSpec, kafkaProcessSpec } from './infrastructure';
import { createPipeline, PIPELINE_SERVICES, STOP_ORDER, type Pipeline } from './pipeline';
import { describeListener, isListening, stackPorts, type StackPorts } from './ports';
import { commandLineOf, isRunning } from './proc';
import { startReaper, type Reaper } from './reaper';
import { readStackFile, writeStackFile, type StackFile, type StackProcessName } from './stack-file';
import { SupervisedProcess, describeExit, type SupervisorEvents } from './supervisor';

// The local stack as one supervised unit: Kafka, ClickHouse and the five services as children of the launcher, each
// respawned when it exits unasked, all stopped in order when the launcher stops, and a reaper for when it cannot.

export interface LauncherSettings {
  /** TELLTALE_LOCAL_DIR: Kafka and chDB data, logs, stack.json. @default <repo>/.local */
  localDir: string;
  logDir: string;
  stackFile: string;
  /** TELLTALE_PORT_OFFSET, added to every port, so stacks can run side by side. @default 0 */
  portOffset: number;
  ports: StackPorts;
  /** KAFKA_BROKERS: use that cluster, start no broker. */
  externalKafka?: string;
  /** CLICKHOUSE_URL: use that server, start no chDB. */
  externalClickHouse?: string;
}

export function launcherSettings(env: NodeJS.ProcessEnv = process.env): LauncherSettings {
  const localDir = path.resolve(env.TELLTALE_LOCAL_DIR?.trim() || path.join(REPO_ROOT, '.local'));
  const rawOffset = env.TELLTALE_PORT_OFFSET?.trim() || '0';
  const portOffset = Number(rawOffset);
  const highest = Math.max(...Object.values(stackPorts(0)));
  if (!/^\d+$/.test(rawOffset) || portOffset + highest > 65535) {
    throw new Error(`TELLTALE_PORT_OFFSET must be an integer from 0 to ${65535 - highest}, got ${JSON.stringify(env.TELLTALE_PORT_OFFSET)}`);
  }
  return {
    localDir,
    logDir: path.join(localDir, 'logs'),
    stackFile: path.join(localDir, 'stack.json'),
    portOffset,
    ports: stackPorts(portOffset),
    externalKafka: env.KAFKA_BROKERS || undefined,
    externalClickHouse: env.CLICKHOUSE_URL || undefined,
  };
}

export interface ChildNode {
  path: string;
  /** As `node --version` prints it, e.g. v24.22.3. */
  version: string;
}

/**
 * TELLTALE_NODE: the node binary that runs the services and the embedded ClickHouse, e.g. for a benchmark of the
 * same stack on two Node versions; it must exist and run. The launcher itself (and the traffic generator in it) and
 * the reaper keep the launcher's node. Not part of launcherSettings: `pnpm stop` must not depend on it.
 * @default process.execPath, the launcher's own node: under `pnpm start`, the project's (package.json)
 */
export function childNode(env: NodeJS.ProcessEnv = process.env): ChildNode {
  const raw = env.TELLTALE_NODE?.trim();
  if (!raw) return { path: process.execPath, version: process.version };
  const file = path.resolve(raw);
  if (!statSync(file, { throwIfNoEntry: false })?.isFile()) {
    throw new Error(`TELLTALE_NODE must be the path of a node binary; ${JSON.stringify(raw)} is not a file`);
  }
  const run = spawnSync(file, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  const version = run.stdout?.trim() ?? '';
  if (run.status !== 0 || !/^v\d+\.\d+\.\d+$/.test(version)) {
    const why = run.error?.message ?? (run.signal ? `killed by ${run.signal}` : `exit ${run.status}${run.stderr ? `: ${run.stderr.trim().split('\n')[0]}` : ''}`);
    throw new Error(`TELLTALE_NODE=${JSON.stringify(raw)} does not run as node (\`${file} --version\`: ${why}${run.status === 0 ? `, printed ${JSON.stringify(version)}` : ''})`);
  }
  return { path: file, version };
}

/** True when `pid` runs and is a launcher (this file's start.ts), not a process that got a recycled pid. */
export function isLauncher(pid: number): boolean {
  return isRunning(pid) && (commandLineOf(pid) ?? []).some((arg) => arg.endsWith('local-stack/src/start.ts'));
}

/** Why this launcher must not start (an earlier one still runs, a port is taken); empty when it may. */
export function preflightProblems(settings: LauncherSettings): string[] {
  const problems: string[] = [];
  const earlier = readStackFile(settings.stackFile);
  if (earlier && earlier.launcherPid !== process.pid && isLauncher(earlier.launcherPid)) {
    problems.push(`a launcher (pid ${earlier.launcherPid}) recorded in ${settings.stackFile} is still running; \`pnpm stop\` stops it`);
  }
  const { ports } = settings;
  const wanted: Array<[string, number]> = [
    ...(settings.externalKafka ? [] : ([['kafka', ports.kafka], ['kafka controller', ports.kafkaController]] as Array<[string, number]>)),
    ...(settings.externalClickHouse ? [] : ([['clickhouse', ports.clickhouse]] as Array<[string, number]>)),
    ['collector', ports.collector],
    ['enricher', ports.enricher],
    ['sink', ports.sink],
    ['trainer', ports.trainer],
    ['scorer', ports.scorer],
    ['console', ports.console],
    ['query', ports.query],
  ];
  for (const [name, port] of wanted) {
    if (isListening(port)) problems.push(`port ${port} (${name}) is taken by ${describeListener(port)}`);
  }
  return problems;
}

/** Stop order: the services (intake first), then ClickHouse, then Kafka. The reaper follows it too. */
export const STACK_STOP_ORDER: StackProcessName[] = [...STOP_ORDER, 'clickhouse', 'kafka'];

export interface LocalStackOptions {
  /** Merged over process.env for every service. */
  serviceEnv: Record<string, string | undefined>;
  /** Synthetic traffic once everything is healthy; none when undefined. */
  traffic?: Omit<TrafficOptions, 'collectorUrl'>;
  log: (line: string) => void;
  /** The node binary for the services and chdb-server (see childNode). @default process.execPath */
  node?: string;
}

export class LocalStack {
  readonly kafka: SupervisedProcess<'kafka'> | undefined;
  readonly clickhouse: SupervisedProcess<'clickhouse'> | undefined;
  readonly pipeline: Pipeline;
  private reaper: Reaper | undefined;
  private trafficRun: TrafficRun | undefined;
  private stopping: Promise<boolean> | undefined;
  private readonly state: StackFile;

  constructor(
    private readonly settings: LauncherSettings,
    private readonly opts: LocalStackOptions,
  ) {
    mkdirSync(settings.logDir, { recursive: true });
    const events: Omit<SupervisorEvents, 'log'> = {
      onChange: (p) => this.recordProcess(p),
      onSpawn: (p, pid, startTime) =>
        this.reaper?.track({
          name: p.name,
          pid,
          startTime,
          order: STACK_STOP_ORDER.indexOf(p.name as StackProcessName),
          // Services and chdb-server run their ordered stop when their IPC channel closes; the JVM cannot.
          watchesParent: p.name !== 'kafka',
          stopTimeoutMs: p.name === 'kafka' ? 30_000 : 20_000,
        }),
      // TRICKY: the name is forgotten only on a stop we asked for; an incarnation that exited is replaced at respawn.
    };
    const { ports, logDir, localDir } = settings;
    const log = opts.log;
    this.kafka = settings.externalKafka
      ? undefined
      : new SupervisedProcess(
          kafkaProcessSpec({ port: ports.kafka, controllerPort: ports.kafkaController, dataDir: path.join(localDir, 'kafka'), logFile: path.join(logDir, 'kafka.log') }),
          { ...events, log },
        );
    this.clickhouse = settings.externalClickHouse
      ? undefined
      : new SupervisedProcess(clickHouseProcessSpec({ port: ports.clickhouse, dataDir: path.join(localDir, 'chdb'), logFile: path.join(logDir, 'clickhouse.log'), node: opts.node }), {
          ...events,
          log,
        });
    this.pipeline = createPipeline({
      env: { ...opts.serviceEnv, KAFKA_BROKERS: this.brokers, CLICKHOUSE_URL: this.clickhouseUrl },
      ports: { collector: ports.collector, enricher: ports.enricher, sink: ports.sink, trainer: ports.trainer, scorer: ports.scorer, console: ports.console, query: ports.query },
      services: [...PIPELINE_SERVICES, 'console', 'query'],
      logDir,
      log,
      events,
      node: opts.node,
    });
    this.state = {
      launcherPid: process.pid,
      reaperPid: null,
      startedAt: new Date().toISOString(),
      ready: false,
      stopping: false,
      processes: {},
    };
    for (const p of this.processes) this.recordProcess(p, false);
  }

  get brokers(): string {
    return this.settings.externalKafka ?? `127.0.0.1:${this.settings.ports.kafka}`;
  }

  /** The live web view (services/console). */
  get liveViewUrl(): string {
    return `http://127.0.0.1:${this.settings.ports.console}/`;
  }

  /** The read-only query API (services/query). */
  get queryUrl(): string {
    return `http://127.0.0.1:${this.settings.ports.query}`;
  }

  get clickhouseUrl(): string {
    return this.settings.externalClickHouse ?? `http://127.0.0.1:${this.settings.ports.clickhouse}`;
  }

  /** Every supervised child, in start order. */
  get processes(): SupervisedProcess[] {
    return [...(this.kafka ? [this.kafka] : []), ...(this.clickhouse ? [this.clickhouse] : []), ...this.pipeline.services];
  }

  get traffic(): TrafficRun | undefined {
    return this.trafficRun;
  }

  /** Kafka, ClickHouse, the services stage by stage, then traffic. Rejects when one never got healthy or stop() came first. */
  async start(): Promise<void> {
    this.reaper = startReaper({
      logFile: path.join(this.settings.logDir, 'reaper.log'),
      onPidChange: (pid) => {
        this.state.reaperPid = pid;
        this.writeState();
      },
      log: this.opts.log,
    });
    this.writeState();
    this.opts.log(`logs go to ${this.settings.logDir}/<name>.log; state in ${this.settings.stackFile}`);
    if (this.kafka) await this.kafka.start();
    this.opts.log(`kafka: ${this.brokers}${this.kafka ? '' : ' (from KAFKA_BROKERS)'}`);
    if (this.clickhouse) await this.clickhouse.start();
    this.opts.log(`clickhouse: ${this.clickhouseUrl}${this.clickhouse ? '' : ' (from CLICKHOUSE_URL)'}`);
    await this.pipeline.start();
    if (this.stopping) throw new Error('stopped while starting');
    this.state.ready = true;
    this.writeState();
    this.opts.log(`live view: ${this.liveViewUrl}`);
    this.opts.log(`query API: ${this.queryUrl} (GET /openapi.json; \`pnpm telltale query …\`)`);
    if (this.opts.traffic) {
      const collectorUrl = `http://127.0.0.1:${this.settings.ports.collector}`;
      this.trafficRun = startTraffic({ ...this.opts.traffic, collectorUrl });
      this.opts.log(`traffic: ${this.opts.traffic.eventsPerSecond} events/s to ${collectorUrl}, seed ${this.trafficRun.stats().seed}`);
    } else {
      this.opts.log('traffic: none (TRAFFIC_EVENTS_PER_S=0)');
    }
  }

  /**
   * Traffic → collector → enricher → scorer → trainer → sink → ClickHouse → Kafka, each waited for; then the reaper,
   * which finds nothing left. Safe to call twice, and while start() runs. True when every child exited cleanly.
   */
  stop(): Promise<boolean> {
    this.stopping ??= this.stopInOrder();
    return this.stopping;
  }

  private async stopInOrder(): Promise<boolean> {
    this.state.stopping = true;
    this.writeState();
    for (const p of this.processes) p.stopRestarting();
    let clean = true;
    const timed = async (what: string, run: () => Promise<boolean>, detail = () => '') => {
      const t0 = Date.now();
      const ok = await run().catch((err: unknown) => {
        this.opts.log(`stopping ${what} failed: ${(err as Error).message}`);
        return false;
      });
      this.opts.log(`stopped ${what} in ${((Date.now() - t0) / 1000).toFixed(1)} s${detail()}${ok ? '' : ' (not cleanly)'}`);
      clean &&= ok;
    };
    const traffic = this.trafficRun;
    if (traffic) {
      await timed('traffic generator', async () => {
        const s = await traffic.stop();
        this.opts.log(`  traffic: ${s.accepted} accepted, ${s.rejected} rejected, ${s.failed} failed, ${s.sessionsStarted} sessions, ${s.sessionsPurchased} purchases`);
        return true;
      });
    }
    await timed('services', () => this.pipeline.stop());
    for (const p of [this.clickhouse, this.kafka]) {
      if (p) await timed(p.name, () => p.stop(), () => ` (${p.pid === null ? 'never started' : describeExit(p.exit)})`);
    }
    await this.reaper?.close();
    this.writeState();
    return clean;
  }

  private recordProcess(p: SupervisedProcess, write = true): void {
    this.state.processes[p.name as StackProcessName] = { pid: p.pid, port: p.port, url: p.url, restarts: p.restarts, status: p.status };
    if (p.status === 'stopped') this.reaper?.forget(p.name);
    if (write) this.writeState();
  }

  private writeState(): void {
    try {
      writeStackFile(this.settings.stackFile, this.state);
    } catch (err) {
      // The stack runs on without its file; say so once per failure rather than stop everything.
      this.opts.log(`cannot write ${this.settings.stackFile}: ${(err as Error).message}`);
    }
  }
}
