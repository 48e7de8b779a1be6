import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { clickhouseEnv, createClickHouseClient, settingsFromEnv, type ClickHouseClient, type ClickHouseSettings } from '@telltale/clickhouse';
import { loadConfig } from '@telltale/runtime';
import { loadTrafficConfig, startTraffic, trafficOptions, type TrafficLogger, type TrafficRun } from '@telltale/traffic-generator';
import { DashboardSampler, renderDashboard, statusLine, type DashboardSnapshot } from './dashboard';
import { REPO_ROOT, ensureClickHouse, ensureKafka, type LocalClickHouse, type LocalKafka } from './infrastructure';
import { startPipeline, type Pipeline } from './pipeline';

// `pnpm start`: local Kafka + embedded ClickHouse (unless KAFKA_BROKERS / CLICKHOUSE_URL point elsewhere), the five
// services, synthetic traffic and a live dashboard. Ctrl-C / SIGTERM stops it all in reverse order and exits 0.

const LOCAL = path.join(REPO_ROOT, '.local');
const LOG_DIR = path.join(LOCAL, 'logs');
const say = (line: string) => process.stdout.write(`${line}\n`);

/** Everything started so far, stopped in reverse (generator → pipeline → ClickHouse → Kafka). */
interface Started {
  kafka?: LocalKafka;
  clickhouse?: LocalClickHouse;
  pipeline?: Pipeline;
  traffic?: TrafficRun;
  client?: ClickHouseClient;
}

async function main(): Promise<number> {
  mkdirSync(LOG_DIR, { recursive: true });
  // Fail fast on a bad TRAFFIC_* / CLICKHOUSE_* before anything starts.
  const trafficConfig = loadTrafficConfig();
  const clickhouse = settingsFromEnv(loadConfig(clickhouseEnv));
  const started: Started = {};
  const stopRequested = signalPromise();

  let failed = false;
  try {
    await startAll(started, trafficConfig, clickhouse, stopRequested);
  } catch (err) {
    failed = true;
    say(`\nstart-up failed: ${(err as Error).message}`);
  }
  if (!failed && !stopRequested.signalled) {
    await runDashboard(started, trafficConfig.TRAFFIC_EVENTS_PER_S, stopRequested.promise);
  }
  await stopAll(started);
  say(`logs: ${LOG_DIR}/`);
  return failed ? 1 : 0;
}

async function startAll(
  started: Started,
  traffic: ReturnType<typeof loadTrafficConfig>,
  clickhouse: ClickHouseSettings,
  stop: { signalled: boolean },
): Promise<void> {
  say(`logs go to ${LOG_DIR}/<name>.log`);
  started.kafka = await ensureKafka({ port: 9092, dataDir: path.join(LOCAL, 'kafka'), log: say });
  say(`kafka: ${started.kafka.brokers}${process.env.KAFKA_BROKERS ? ' (from KAFKA_BROKERS)' : ''}`);
  if (stop.signalled) return;

  started.clickhouse = await ensureClickHouse({ port: 8123, dataDir: path.join(LOCAL, 'chdb'), logFile: path.join(LOG_DIR, 'clickhouse.log') });
  say(`clickhouse: ${started.clickhouse.url}${process.env.CLICKHOUSE_URL ? ' (from CLICKHOUSE_URL)' : ''}`);
  if (stop.signalled) return;

  started.pipeline = await startPipeline({
    env: {
      KAFKA_BROKERS: started.kafka.brokers,
      CLICKHOUSE_URL: started.clickhouse.url,
      CLICKHOUSE_DATABASE: clickhouse.database,
      // NOTE: the simulated sessions last seconds, and a logged-in user returns after TRAFFIC_MIN_RETURN_GAP_S (45 s);
      // the web convention of 30 min would merge those visits into one session.
      ENRICHER_SESSION_TIMEOUT_S: process.env.ENRICHER_SESSION_TIMEOUT_S || String(Math.max(5, Math.floor(traffic.TRAFFIC_MIN_RETURN_GAP_S * 0.66))),
    },
    logDir: LOG_DIR,
    log: (line) => say(`  ${line}`),
  });
  if (stop.signalled) return;

  started.client = createClickHouseClient({ ...clickhouse, url: started.clickhouse.url, requestTimeoutMs: 2_000 });
  const collector = started.pipeline.services.find((s) => s.name === 'collector');
  if (!collector) throw new Error('the pipeline has no collector');
  started.traffic = startTraffic({
    ...trafficOptions(traffic),
    collectorUrl: collector.url,
    logger: fileLogger(path.join(LOG_DIR, 'traffic-generator.log')),
  });
  say(`traffic: ${traffic.TRAFFIC_EVENTS_PER_S} events/s to ${collector.url}, seed ${started.traffic.stats().seed}`);
}

async function runDashboard(started: Started, targetPerS: number, stop: Promise<void>): Promise<void> {
  const sampler = new DashboardSampler(started.pipeline?.services ?? [], started.client, LOG_DIR);
  const tty = process.stdout.isTTY === true;
  let lastLineAt = 0;
  let last: DashboardSnapshot | undefined;
  let stopped = false;
  void stop.then(() => (stopped = true));
  if (tty) process.stdout.write('\x1b[?25l'); // hide the cursor while redrawing
  try {
    while (!stopped) {
      const t0 = Date.now();
      const traffic = started.traffic?.stats();
      last = await sampler.sample(
        traffic && {
          targetPerS,
          accepted: traffic.accepted,
          rejected: traffic.rejected,
          failed: traffic.failed,
          sessionsStarted: traffic.sessionsStarted,
          sessionsPurchased: traffic.sessionsPurchased,
        },
      );
      if (stopped) break;
      if (tty) {
        process.stdout.write(`\x1b[H\x1b[2J${renderDashboard(last)}\n`);
      } else if (t0 - lastLineAt >= 5_000) {
        say(statusLine(last));
        lastLineAt = t0;
      }
      await Promise.race([stop, sleep(Math.max(0, 1_000 - (Date.now() - t0)))]);
    }
  } finally {
    if (tty) process.stdout.write('\x1b[?25h');
  }
  if (last) say(`\nlast status: ${statusLine(last)}`);
}

async function stopAll(started: Started): Promise<void> {
  const step = async (what: string, run: () => Promise<unknown>) => {
    const t0 = Date.now();
    try {
      await run();
      say(`stopped ${what} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    } catch (err) {
      say(`stopping ${what} failed: ${(err as Error).message}`);
    }
  };
  say('stopping…');
  if (started.traffic) {
    const traffic = started.traffic;
    await step('traffic generator', async () => {
      const s = await traffic.stop();
      say(`  traffic: ${s.accepted} accepted, ${s.rejected} rejected, ${s.failed} failed, ${s.sessionsStarted} sessions, ${s.sessionsPurchased} purchases`);
    });
  }
  if (started.client) await started.client.close().catch(() => undefined);
  if (started.pipeline) await step('pipeline', () => started.pipeline!.stop());
  if (started.clickhouse) await step('clickhouse', () => started.clickhouse!.stop());
  if (started.kafka) await step('kafka', () => started.kafka!.stop());
}

/** Resolves on the first SIGINT/SIGTERM; later ones only say that shutdown is under way. */
function signalPromise(): { promise: Promise<void>; signalled: boolean } {
  const state = { signalled: false, promise: Promise.resolve() };
  state.promise = new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      if (state.signalled) {
        say(`${signal}: already stopping, waiting for the services to exit`);
        return;
      }
      state.signalled = true;
      say(`\n${signal}: stopping`);
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  return state;
}

/** JSON lines in the generator's own log file, so the dashboard owns the terminal. */
function fileLogger(file: string): TrafficLogger {
  const out = createWriteStream(file, { flags: 'w' });
  const write = (level: string) => (obj: object, msg: string) =>
    out.write(`${JSON.stringify({ level, time: new Date().toISOString(), service: 'traffic-generator', ...obj, msg })}\n`);
  return { info: write('info'), warn: write('warn') };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    say(`local stack crashed: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  },
);
