import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import inspector from 'node:inspector';
import os from 'node:os';
import path from 'node:path';
import { createClickHouseClient, type ClickHouseClient } from '@telltale/clickhouse';
import { topicsFor, type RawEvent } from '@telltale/contracts';
import { ConsumerLagSampler, LAG_METRIC } from '@telltale/faults/src/consumer-lag';
import { describeRates, readRequestCounts, requestRates, type RequestCounts } from './kafka-requests';
import { LoadDriver, type LoadStats } from '@telltale/faults/src/load-driver';
import { readMetricSum } from '@telltale/faults/src/service-metrics';
import { ShopperEvents } from '@telltale/faults/src/shopper-events';
import { StackHandle } from '@telltale/faults/src/stack-handle';
import { createKafkaClient, ensureTopics } from '@telltale/kafka';
import { childNode, REPO_ROOT } from '@telltale/local-stack';
import { createLogger } from '@telltale/runtime';
import { collectorAlone, consumerPerformance, directInsert, producerPerformance, sinkAlone, type CollectorAlone, type DirectInsert, type SinkAlone, type ToolRun } from './ceilings';
import { summariseCpuProfile, type ProfileSummary } from './cpu-profile-summary';
import { e2eSettings, type E2eSettings } from './e2e-settings';
import {
  BENCH_PROCESS,
  TARGETS,
  chooseSoakRate,
  cpuPerEvent,
  formatEvents,
  judgeTargets,
  keptUpWithLoad,
  soakRss,
  type CpuPerEvent,
  type TargetVerdict,
} from './e2e-targets';
import { measureHistoryScaling, type HistoryScalingResult } from './history-scaling';
import { renderMarkdown, renderProfiles, renderSvg } from './e2e-report';
import type { LatencySummary } from './latency-histogram';
import { MarkedEvents } from './marked-events';
import { PredictionProbe, QueryableProbe } from './pipeline-probes';
import { ProcessStatsSampler, round, type ProcessUsage } from './process-stats';

// `pnpm bench e2e`: the whole pipeline on this machine (the local stack exactly as `pnpm start` runs it), loaded at
// stepped rates until it saturates, then the ceilings of its stages in the same run. See e2e-settings.ts for the
// knobs and the README's Benchmark section for how to read the results.

export interface StepResult {
  name: string;
  offeredPerS: number;
  seconds: number;
  acceptedPerS: number;
  acknowledged: number;
  answers: Record<string, number>;
  /** Every acknowledged event of the step queryable within the drain deadline. */
  allQueryable: boolean;
  /** From the end of the load until the last acknowledged event was queryable, s; null when not within the deadline. */
  drainS: number | null;
  queryable: LatencySummary & { markersMissing: number };
  prediction: { consumed: LatencySummary; scored: LatencySummary };
  /** Largest consumer lag (records) per stage during the step. */
  maxLag: Record<string, number>;
  /** Kafka requests per second over the step's load, per stage and API (kafka-requests.ts). */
  kafkaRequestsPerS?: RequestCounts;
  processes: Record<string, ProcessUsage>;
  /** CPU time per acknowledged event over the step, per process and for all of `pnpm start`'s (see cpuPerEvent). */
  cpuUsPerEvent: CpuPerEvent | null;
  /** The load average at the step's end (1 min). */
  load1: number;
  /** Accepted ≥ 95 % of offered, every event queryable, queryable p95 ≤ 2 s. */
  keptUp: boolean;
}

export interface E2eResult {
  at: string;
  settings: Omit<E2eSettings, 'dir' | 'resultsDir'>;
  machine: Record<string, unknown>;
  steps: StepResult[];
  soak: StepResult[];
  /** The soak's offered rate and why that one (chooseSoakRate); null without a soak. */
  soakRate: number | null;
  soakRateWhy: string;
  peakRssMiB: Record<string, number>;
  /** The soak's start and end, ms on the rssSeries' clock. */
  soakWindowMs: [number, number];
  rssSeries: Record<string, Array<[number, number]>>;
  ceilings: {
    recordBytes: number;
    producerPerformance?: ToolRun;
    consumerPerformance?: ToolRun;
    collectorAlone?: CollectorAlone;
    sinkAlone?: SinkAlone;
    /** The same with SINK_PARTITIONS_CONCURRENTLY=1: the lever measured in the same run. */
    sinkAloneSerial?: SinkAlone;
    directInsert?: DirectInsert;
    errors: string[];
  };
  /** Informative: each stage against its ceiling in the same run. */
  ratios: { collectorVsProducerPerf: number | null; sinkVsDirectInsert: number | null; enricherVsConsumerPerf: number | null };
  /** The trainer (and the live view) on growing history, measured last; null when skipped or failed (historyNote). */
  history: HistoryScalingResult | null;
  historyNote?: string;
  targets: TargetVerdict[];
  profiles: ProfileSummary[];
  durationS: number;
}

const log = (line: string) => console.log(`[e2e ${new Date().toISOString().slice(11, 19)}] ${line}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function benchE2e(): Promise<E2eResult> {
  const settings = e2eSettings();
  const t0 = Date.now();
  const runId = `e2e${randomUUID().slice(0, 6)}`;
  rmSync(settings.dir, { recursive: true, force: true });
  mkdirSync(settings.dir, { recursive: true });
  const profileDir = path.join(settings.dir, 'cpu-profiles');
  const profileEnv: Record<string, string> = settings.cpuProfile
    ? { NODE_OPTIONS: `--require ${path.join(REPO_ROOT, 'infra/bench/profiling/cpu-profile.preload.cjs')}`, BENCH_CPU_PROFILE_DIR: profileDir }
    : {};
  log(`profile ${settings.profile}: rates ${settings.rates.join(', ')} events/s, ${settings.stepSeconds} s each; soak ${settings.soakSeconds} s at ${settings.soakRate ?? 'the highest step rate that keeps up'}; history ${settings.history ? settings.historySizes.map(formatEvents).join(', ') : 'skipped'}; stack in ${settings.dir} (port offset ${settings.portOffset})${settings.cpuProfile ? '; CPU profiles on' : ''}`);
  const loadAtStart = os.loadavg();
  // The bench process runs the load driver and the probes on the same cores: its own profile says what that costs.
  const selfProfile = settings.cpuProfile ? startSelfProfile() : undefined;

  const stack = StackHandle.start({
    dir: settings.dir,
    env: {
      TELLTALE_PORT_OFFSET: String(settings.portOffset),
      // A model within a minute of the first labelled sessions; otherwise the services' defaults.
      TRAINER_LABEL_DELAY_S: '0',
      TRAINER_MIN_ROWS: '200',
      // The node binary of the services (the stack handle passes no TELLTALE_* of this process on by itself).
      ...(process.env.TELLTALE_NODE ? { TELLTALE_NODE: process.env.TELLTALE_NODE } : {}),
      ...profileEnv,
    },
  });
  let clickhouse: ClickHouseClient | undefined;
  const lag = new ConsumerLagSampler(() => (['enricher', 'sink', 'scorer'] as const).map((service) => ({ service, url: stack.process(service).url })), 2_000);
  // Every process `pnpm start` runs, the launcher and its reaper included (stack.json names them all), and this one.
  const stats = new ProcessStatsSampler(() => [...stack.knownPids(), { name: BENCH_PROCESS, pid: process.pid }]);
  const predictions = new PredictionProbe(runId);
  let queryable: QueryableProbe | undefined;
  const kafkaLogger = createLogger('bench', 'warn');
  const result: E2eResult = {
    at: new Date().toISOString(),
    settings: { ...settings, dir: undefined, resultsDir: undefined } as unknown as E2eResult['settings'],
    machine: {},
    steps: [],
    soak: [],
    soakRate: null,
    soakRateWhy: '',
    peakRssMiB: {},
    soakWindowMs: [0, 0],
    rssSeries: {},
    ceilings: { recordBytes: 0, errors: [] },
    ratios: { collectorVsProducerPerf: null, sinkVsDirectInsert: null, enricherVsConsumerPerf: null },
    history: null,
    targets: [],
    profiles: [],
    durationS: 0,
  };
  try {
    const state = await stack.waitReady(300_000);
    log(`stack ready (launcher pid ${state.launcherPid})`);
    const chUrl = stack.process('clickhouse').url;
    const brokers = stack.process('kafka').url;
    const collectorUrl = stack.process('collector').url;
    clickhouse = createClickHouseClient({ url: chUrl, user: 'default', password: '', database: 'telltale', requestTimeoutMs: 60_000 });
    result.machine = await describeMachine(clickhouse, loadAtStart);
    const kafka = createKafkaClient({ brokers: [brokers], clientId: `bench-${runId}` }, kafkaLogger);
    const topics = topicsFor('');
    await predictions.start(kafka, topics.predictions);
    queryable = new QueryableProbe(clickhouse).start();
    lag.start();
    stats.start();

    const warm = await warmUp(stack, collectorUrl, `${runId}-warm-`);
    log(`model v${warm.version} live after ${warm.acknowledged} warm-up events (${warm.seconds} s)`);
    log(`backlog after warm-up drained in ${await waitForNoLag(stack, settings.drainSeconds * 1000)} s`);

    const runStep = (name: string, rate: number, seconds: number, drain: boolean) =>
      measureStep({ name, rate, seconds, drain, settings, idPrefix: `${runId}-${name}-`, collectorUrl, stack, clickhouse: clickhouse!, queryable: queryable!, predictions, lag, stats });

    for (const rate of settings.rates) {
      const step = await runStep(`r${rate}`, rate, settings.stepSeconds, true);
      result.steps.push(step);
      log(describeStep(step));
      if (!keptUpWithLoad(step)) {
        log(`saturated at ${rate} events/s offered: stepping stops here`);
        break;
      }
    }

    // ---- ceilings, with the pipeline idle: before the soak, whose backlog (at a rate the pipeline cannot keep up
    // with) may outlast it ----
    const idleAfter = await waitForNoLag(stack, settings.drainSeconds * 1000);
    log(idleAfter === null ? `the pipeline still has a backlog after ${settings.drainSeconds} s: ceilings measured beside it` : `pipeline idle after ${idleAfter} s`);
    result.ceilings.recordBytes = meanRawEventBytes(topics.rawEvents.codec.encode.bind(topics.rawEvents.codec), `${runId}-size-`);
    // BENCH_E2E_CEILINGS=0: skipped (an A/B of the pipeline's steps needs no ceilings).
    if (settings.ceilings) {
      const ceilingTopic = `bench-ceiling-${runId}`;
      try {
        await ensureTopics(kafka, [{ name: ceilingTopic, compacted: false, codec: topics.rawEvents.codec }]);
        log(`ProducerPerformance: ${settings.ceilingRecords} records of ${result.ceilings.recordBytes} B, acks=all, linger.ms=5`);
        result.ceilings.producerPerformance = await producerPerformance(brokers, ceilingTopic, settings.ceilingRecords, result.ceilings.recordBytes);
        log(result.ceilings.producerPerformance.summary);
        result.ceilings.consumerPerformance = await consumerPerformance(brokers, ceilingTopic, settings.ceilingRecords, `bench-ceiling-${runId}`);
        log(`ConsumerPerformance: ${result.ceilings.consumerPerformance.recordsPerS} records/s`);
      } catch (err) {
        result.ceilings.errors.push(`kafka-tools: ${(err as Error).message}`);
      }
      try {
        log(`collector alone: ${settings.aloneSeconds} s, 32 connections × 20-event batches`);
        const body = JSON.stringify({ batch: new ShopperEvents(`${runId}-alone-`).next(20) });
        result.ceilings.collectorAlone = await collectorAlone({
          brokers,
          topicPrefix: `bench_alone_${runId}.`,
          body,
          eventsPerRequest: 20,
          connections: 32,
          seconds: settings.aloneSeconds,
          env: profileEnv,
          logFile: path.join(settings.dir, 'collector-alone.log'),
        });
        log(`collector alone: ${result.ceilings.collectorAlone.eventsPerS} events/s (${result.ceilings.collectorAlone.collectorCpuCores} cores)`);
      } catch (err) {
        result.ceilings.errors.push(`collector alone: ${(err as Error).message}`);
      }
      try {
        // The sink as configured, and with one partition at a time (the lever SINK_PARTITIONS_CONCURRENTLY), each on
        // the same backlog from the beginning, in a database of its own.
        for (const variant of ['serial', 'default'] as const) {
          log(`sink alone (${variant}): a second sink reading every topic from the beginning, ${settings.aloneSeconds} s`);
          const database = `bench_sink_${variant}_${runId}`;
          const run = await sinkAlone({
            brokers,
            clickhouseUrl: chUrl,
            database,
            groupId: `bench-sink-${variant}-${runId}`,
            seconds: settings.aloneSeconds,
            env: { ...profileEnv, ...(variant === 'serial' ? { SINK_PARTITIONS_CONCURRENTLY: '1' } : {}) },
            logFile: path.join(settings.dir, `sink-alone-${variant}.log`),
          });
          if (variant === 'serial') result.ceilings.sinkAloneSerial = run;
          else result.ceilings.sinkAlone = run;
          log(`sink alone (${variant}): ${run.rowsPerS} rows/s (${run.sinkCpuCores} cores)`);
          await clickhouse.command({ query: `DROP DATABASE IF EXISTS ${database}` });
        }
        if (!result.ceilings.sinkAlone) throw new Error('no sink-alone run');
        result.ceilings.directInsert = await directInsert({
          client: clickhouse,
          sourceDatabase: 'telltale',
          targetDatabase: `bench_direct_${runId}`,
          idPrefix: runId,
          rowsPerTable: 100_000,
          // The sink's largest insert (SINK_MAX_BATCH_ROWS).
          batchRows: 20_000,
        });
        await clickhouse.command({ query: `DROP DATABASE IF EXISTS bench_direct_${runId}` });
        log(`direct insert: ${JSON.stringify(result.ceilings.directInsert.byFormat)} rows/s (${result.ceilings.directInsert.rows} rows)`);
      } catch (err) {
        result.ceilings.errors.push(`sink alone / direct insert: ${(err as Error).message}`);
      }
    }
    const soak = settings.soakSeconds > 0 ? chooseSoakRate(result.steps, settings.soakRate) : null;
    if (soak) {
      result.soakRate = soak.rate;
      result.soakRateWhy = soak.why;
      log(`soak: ${settings.soakSeconds} s at ${soak.rate} events/s offered (${soak.why}), measured per minute`);
      result.soakWindowMs = [Date.now() - stats.startedAt, 0];
      const segments = Math.max(1, Math.round(settings.soakSeconds / 60));
      const segmentS = settings.soakSeconds / segments;
      for (let i = 0; i < segments; i++) {
        const step = await runStep(`soak${i + 1}`, soak.rate, segmentS, i === segments - 1);
        result.soak.push(step);
        log(describeStep(step));
      }
      result.soakWindowMs[1] = Date.now() - stats.startedAt;
    }

    // ---- history, last: it writes millions of rows into the bench stack's ClickHouse, which nothing after reads ----
    if (settings.history) {
      const idle = await waitForNoLag(stack, settings.drainSeconds * 1000);
      log(`history: trainer and live view on ${settings.historySizes.map(formatEvents).join(', ')} events${idle === null ? ' (the pipeline still has a backlog)' : ''}`);
      try {
        result.history = await measureHistoryScaling({ clickhouseUrl: chUrl, sizes: settings.historySizes, log });
        log(`history: trainer ${result.history.trainerRatio.toFixed(2)}×, live view ${result.history.liveViewRatio.toFixed(2)}×`);
      } catch (err) {
        result.historyNote = `failed: ${(err as Error).message}`;
        log(`history ${result.historyNote}`);
      }
    } else {
      result.historyNote = 'skipped (BENCH_E2E_HISTORY=0)';
    }

    lag.stop();
    stats.stop();
    await queryable.stop();
    await predictions.stop();
  } finally {
    lag.stop();
    stats.stop();
    await queryable?.stop();
    await predictions.stop().catch(() => undefined);
    await clickhouse?.close();
    const { exit, leftovers } = await stack.stop(180_000);
    log(`stack stopped (${exit ? `exit ${exit.code ?? exit.signal}` : 'killed'}${leftovers.length > 0 ? `, ${leftovers.length} leftovers killed` : ''})`);
  }

  for (const [name, bytes] of stats.peakRss) result.peakRssMiB[name] = round(bytes / 2 ** 20, 0);
  result.rssSeries = Object.fromEntries(stats.rssSeries);
  const c = result.ceilings;
  const best = [...result.steps, ...result.soak].reduce((m, s) => Math.max(m, s.acceptedPerS), 0);
  result.ratios = {
    collectorVsProducerPerf: c.collectorAlone && c.producerPerformance ? round(c.collectorAlone.eventsPerS / c.producerPerformance.recordsPerS, 2) : null,
    sinkVsDirectInsert: c.sinkAlone && c.directInsert ? round(c.sinkAlone.rowsPerS / c.directInsert.rowsPerS, 2) : null,
    enricherVsConsumerPerf: c.consumerPerformance && best > 0 ? round(best / c.consumerPerformance.recordsPerS, 2) : null,
  };
  result.targets = judgeTargets({
    steps: result.steps,
    soakRss: soakRss(result.rssSeries, result.soakWindowMs),
    soakSeconds: result.soak.reduce((sum, s) => sum + s.seconds, 0),
    soakRate: result.soakRate,
    history: result.history,
    historyNote: result.historyNote,
  });
  if (settings.cpuProfile) {
    await selfProfile?.stopInto(path.join(profileDir, `bench-${process.pid}.cpuprofile`));
    for (const file of readdirSafe(profileDir).filter((f) => f.endsWith('.cpuprofile'))) {
      try {
        const summary = summariseCpuProfile(path.join(profileDir, file));
        const pid = Number(/-(\d+)\.cpuprofile$/.exec(file)?.[1]);
        const c = result.ceilings;
        const alone = pid === c.collectorAlone?.pid ? 'collector alone' : pid === c.sinkAlone?.pid ? 'sink alone' : pid === c.sinkAloneSerial?.pid ? 'sink alone, serial' : undefined;
        result.profiles.push(alone ? { ...summary, label: `${alone} (ceiling run)` } : summary);
      } catch (err) {
        log(`cannot read profile ${file}: ${(err as Error).message}`);
      }
    }
  }
  result.machine.loadAverageAtEnd = os.loadavg().map((l) => round(l, 2));
  result.durationS = Math.round((Date.now() - t0) / 1000);
  writeResults(settings, result);
  return result;
}

async function warmUp(stack: StackHandle, collectorUrl: string, idPrefix: string): Promise<{ version: number; acknowledged: number; seconds: number }> {
  const t0 = Date.now();
  const driver = new LoadDriver({ collectorUrl, source: new ShopperEvents(idPrefix), eventsPerSecond: 1_000, connections: 8 }).start();
  try {
    for (;;) {
      const version = (await readMetricSum(stack.process('scorer').url, 'telltale_scorer_model_version')) ?? 0;
      if (version > 0) return { version, acknowledged: driver.acknowledged.size, seconds: Math.round((Date.now() - t0) / 1000) };
      if (Date.now() - t0 > 300_000) throw new Error(`no model within 300 s of warm-up\n${stack.logTail('trainer')}`);
      await sleep(1_000);
    }
  } finally {
    await driver.stop(60_000);
  }
}

/** Until every consuming stage reports (almost) no lag, or the deadline; the seconds it took (null: deadline). */
async function waitForNoLag(stack: StackHandle, timeoutMs: number): Promise<number | null> {
  const t0 = Date.now();
  for (;;) {
    const lags = await Promise.all((['enricher', 'sink', 'scorer'] as const).map((s) => readMetricSum(stack.process(s).url, LAG_METRIC)));
    // A few records of lag is the gauge's own staleness (refreshed every 5 s), not a backlog.
    if (lags.every((lag) => lag !== undefined && lag <= 100)) return round((Date.now() - t0) / 1000, 1);
    if (Date.now() - t0 > timeoutMs) return null;
    await sleep(1_000);
  }
}

interface StepContext {
  name: string;
  rate: number;
  seconds: number;
  drain: boolean;
  settings: E2eSettings;
  idPrefix: string;
  collectorUrl: string;
  stack: StackHandle;
  clickhouse: ClickHouseClient;
  queryable: QueryableProbe;
  predictions: PredictionProbe;
  lag: ConsumerLagSampler;
  stats: ProcessStatsSampler;
}

async function measureStep(ctx: StepContext): Promise<StepResult> {
  const { settings } = ctx;
  const source = new MarkedEvents(new ShopperEvents(ctx.idPrefix), ctx.idPrefix, settings.markEvery, (id, at, user) => ctx.queryable.expect(id, at, user));
  const requestsBefore = await readRequestCounts((stage) => ctx.stack.process(stage).url);
  ctx.stats.resetWindow();
  const t0 = Date.now();
  const window = ctx.predictions.openWindow(t0, Infinity);
  const driver = new LoadDriver({ collectorUrl: ctx.collectorUrl, source, eventsPerSecond: ctx.rate, connections: settings.connections, batchSize: settings.batchSize }).start();
  await sleep(ctx.seconds * 1000);
  const load: LoadStats = await driver.stop(60_000);
  const t1 = Date.now();
  window.toMs = t1;
  const processes = ctx.stats.usage();
  const kafkaRequestsPerS = requestRates(requestsBefore, await readRequestCounts((stage) => ctx.stack.process(stage).url), (Date.now() - t0) / 1000);
  const maxLag = ctx.lag.maxByService(t0, t1);
  const load1 = round(os.loadavg()[0]!, 2);

  let drainS: number | null = null;
  let allQueryable = false;
  if (ctx.drain) {
    const deadline = t1 + settings.drainSeconds * 1000;
    for (;;) {
      const stored = await uniqueIds(ctx.clickhouse, ctx.idPrefix).catch(() => -1);
      if (stored >= load.acknowledged) {
        allQueryable = true;
        drainS = round((Date.now() - t1) / 1000, 1);
        break;
      }
      if (Date.now() > deadline) break;
      await sleep(1_000);
    }
    // The markers' last poll and the last predictions (and every stage's backlog, so the next step starts clean).
    await sleep(1_500);
    if (allQueryable) await waitForNoLag(ctx.stack, settings.drainSeconds * 1000);
  } else {
    allQueryable = true; // judged by the last segment's drain
  }
  const q = ctx.queryable.window(t0, t1);
  const queryable = { ...q.histogram.summary(), markersMissing: q.stillPending };
  const acceptedPerS = Math.round(load.acknowledged / ((t1 - t0) / 1000));
  return {
    name: ctx.name,
    offeredPerS: ctx.rate,
    seconds: round((t1 - t0) / 1000, 1),
    acceptedPerS,
    acknowledged: load.acknowledged,
    answers: load.answers,
    allQueryable,
    drainS,
    queryable,
    prediction: { consumed: window.consumed.summary(), scored: window.scored.summary() },
    maxLag,
    kafkaRequestsPerS,
    processes,
    cpuUsPerEvent: cpuPerEvent(processes, load.acknowledged),
    load1,
    keptUp: acceptedPerS >= 0.95 * ctx.rate && allQueryable && (queryable.p95Ms ?? Infinity) <= TARGETS.queryableP95Ms,
  };
}

async function uniqueIds(client: ClickHouseClient, prefix: string): Promise<number> {
  const result = await client.query({
    query: 'SELECT uniqExact(message_id) AS n FROM events WHERE startsWith(message_id, {prefix:String})',
    query_params: { prefix },
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ n: string | number }>();
  return Number(row?.n ?? 0);
}

function describeStep(s: StepResult): string {
  const q = s.queryable;
  const p = s.prediction.consumed;
  return (
    `${s.name}: offered ${s.offeredPerS}/s, accepted ${s.acceptedPerS}/s; queryable p50/p95/p99 ${q.p50Ms}/${q.p95Ms}/${q.p99Ms} ms (${q.count} markers, ${q.markersMissing} missing); ` +
    `prediction p50/p99 ${p.p50Ms}/${p.p99Ms} ms (${p.count}); drain ${s.drainS ?? '–'} s; lag ${JSON.stringify(s.maxLag)}; ` +
    `kafka requests/s ${Object.entries(s.kafkaRequestsPerS ?? {}).map(([stage, r]) => `${stage} ${describeRates(r, 3)}`).join(', ')}; ` +
    `cpu ${Object.entries(s.processes).map(([n, u]) => `${n.split(' ')[0]} ${u.cpuCores}`).join(', ')}; ` +
    `µs/event ${s.cpuUsPerEvent ? `${s.cpuUsPerEvent.pipeline} (bench ${s.cpuUsPerEvent.bench ?? '–'})` : '–'}; load ${s.load1}`
  );
}

/** The mean Avro size of events.raw values for the run's traffic, as the collector would encode them. */
function meanRawEventBytes(encode: (e: RawEvent) => Buffer, idPrefix: string): number {
  const events = new ShopperEvents(idPrefix).next(2_000);
  const now = Date.now();
  let bytes = 0;
  for (const e of events) {
    const { page: _page, ...context } = e.context;
    bytes += encode({
      messageId: e.messageId,
      type: e.type,
      event: e.event ?? e.name ?? null,
      userId: e.userId ?? null,
      anonymousId: e.anonymousId,
      timestamp: Date.parse(e.timestamp),
      sentAt: now,
      receivedAt: now,
      properties: JSON.stringify(e.properties),
      context: JSON.stringify({ ...context, page: e.context.page }),
      source: 'default',
    }).length;
  }
  return Math.round(bytes / events.length);
}

async function describeMachine(client: ClickHouseClient, loadAtStart: number[]): Promise<Record<string, unknown>> {
  const cpus = os.cpus();
  // java -version prints to stderr.
  const javaLine = spawnSync('java', ['-version'], { encoding: 'utf8' }).stderr?.split('\n')[0]?.trim() || 'unknown';
  const kafkaVersion = /<kafka\.version>([^<]+)</.exec(readFileSync(path.join(REPO_ROOT, 'infra/kafka/pom.xml'), 'utf8'))?.[1];
  let clickhouseVersion = 'unknown';
  try {
    const r = await client.query({ query: 'SELECT version() AS v', format: 'JSONEachRow' });
    clickhouseVersion = (await r.json<{ v: string }>())[0]?.v ?? 'unknown';
  } catch {
    // reported as unknown
  }
  const chdbVersion = JSON.parse(readFileSync(path.join(REPO_ROOT, 'infra/chdb-server/package.json'), 'utf8')).dependencies.chdb as string;
  return {
    cores: cpus.length,
    cpuModel: cpus[0]?.model,
    memoryGiB: round(os.totalmem() / 2 ** 30, 1),
    os: `${os.type()} ${os.release()}`,
    // The bench's own node, and the services' (TELLTALE_NODE, else the same).
    node: process.version,
    servicesNode: childNode().version,
    java: javaLine,
    kafka: kafkaVersion,
    clickhouse: `${clickhouseVersion} (chDB ${chdbVersion}, embedded behind infra/chdb-server)`,
    loadAverageAtStart: loadAtStart.map((l) => round(l, 2)),
  };
}

/** A CPU profile of this process through node:inspector (as the preload does for the services). */
function startSelfProfile(): { stopInto(file: string): Promise<void> } {
  const session = new inspector.Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<unknown>((resolve, reject) => session.post(method, params ?? {}, (err, result) => (err ? reject(err) : resolve(result))));
  const started = post('Profiler.enable').then(() => post('Profiler.setSamplingInterval', { interval: 1000 })).then(() => post('Profiler.start'));
  return {
    async stopInto(file) {
      await started;
      const { profile } = (await post('Profiler.stop')) as { profile: unknown };
      session.disconnect();
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, JSON.stringify(profile));
    },
  };
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function writeResults(settings: E2eSettings, result: E2eResult): void {
  mkdirSync(settings.resultsDir, { recursive: true });
  const base = settings.profile === 'full' ? 'e2e' : `e2e-${settings.profile}`;
  const file = (ext: string) => path.join(settings.resultsDir, `${base}.${ext}`);
  writeFileSync(file('json'), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(file('md'), renderMarkdown(result, `${base}.svg`));
  writeFileSync(file('svg'), renderSvg(result));
  if (result.profiles.length > 0) writeFileSync(path.join(settings.resultsDir, 'profiles.md'), renderProfiles(result));
  log(`results: ${path.relative(process.cwd(), file('md'))} (and .json, .svg)`);
  console.log(`\n${renderMarkdown(result, `${base}.svg`)}`);
}
