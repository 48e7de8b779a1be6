import { appendFileSync, createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { clickhouseEnv, createClickHouseClient, settingsFromEnv, type ClickHouseClient } from '@telltale/clickhouse';
import { createLogger, loadConfig } from '@telltale/runtime';
import { loadTrafficConfig, trafficOptions, type TrafficLogger } from '@telltale/traffic-generator';
import { DashboardSampler, renderDashboard, statusLine, type DashboardSnapshot } from './dashboard';
import { LocalStack, childNode, launcherSettings, preflightProblems, type LauncherSettings } from './launcher';

// `pnpm start`: local Kafka + embedded ClickHouse (unless KAFKA_BROKERS / CLICKHOUSE_URL point elsewhere), the five
// services, synthetic traffic and a live dashboard, all supervised (see launcher.ts). Every way this process can end
// goes through one ordered stop: SIGINT, SIGTERM, SIGHUP (terminal closed), a closed stdout (`pnpm start | tee log`
// then Ctrl-C), an uncaught exception or unhandled rejection. Exit 0 after a clean stop, 1 otherwise. When it is
// killed outright, the children's IPC channels and the reaper stop them.

/**
 * Lines for the user: always appended to <logs>/launcher.log, and to stdout while stdout can take them. TRICKY: a
 * write to a closed pipe or a hung-up terminal fails asynchronously (EPIPE, EIO) as an 'error' event, which would be
 * an uncaught exception mid-stop; the handler turns it into a stop request and we write nothing more there.
 */
class Output {
  private stdoutOpen = true;
  /** While the full-screen dashboard owns the terminal, lines go to the log and the dashboard's event list. */
  dashboardOwnsTerminal = false;
  readonly recent: string[] = [];
  private logFile: string | undefined;

  /** From here on lines go to this file too (truncated first). Not before the preflight passed: it may be another launcher's. */
  logTo(file: string): void {
    writeFileSync(file, '');
    this.logFile = file;
  }

  say(line: string): void {
    try {
      if (this.logFile) appendFileSync(this.logFile, `${new Date().toISOString()} ${line}\n`);
    } catch {
      // the log is best effort; stdout may still work
    }
    if (this.dashboardOwnsTerminal) {
      this.recent.push(`${new Date().toISOString().slice(11, 19)} ${line.trim()}`);
      if (this.recent.length > 5) this.recent.shift();
      return;
    }
    this.write(`${line}\n`);
  }

  write(text: string): void {
    if (this.stdoutOpen) process.stdout.write(text);
  }

  get canWrite(): boolean {
    return this.stdoutOpen;
  }

  stdoutClosed(): void {
    this.stdoutOpen = false;
  }
}

/** The first request to stop wins the reason; any request from a failure makes the exit code 1. */
class StopRequest {
  reason: string | undefined;
  failed = false;
  private resolve!: () => void;
  readonly promise = new Promise<void>((r) => (this.resolve = r));

  request(reason: string, failed: boolean, say: (line: string) => void): void {
    this.failed ||= failed;
    if (this.reason !== undefined) {
      say(`${reason}: already stopping (${this.reason}), waiting for the processes to exit`);
      return;
    }
    this.reason = reason;
    say(`\n${reason}: stopping`);
    this.resolve();
  }
}

async function main(): Promise<number> {
  const settings = launcherSettings();
  const node = childNode();
  const out = new Output();
  const say = (line: string) => out.say(line);
  const stop = new StopRequest();
  const onSignal = (signal: NodeJS.Signals) => stop.request(signal, false, say);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    out.stdoutClosed();
    stop.request(`stdout closed (${err.code ?? err.message})`, false, say);
  });
  process.on('uncaughtException', (err) => stop.request(`launcher error: ${err.stack ?? err.message}`, true, say));
  process.on('unhandledRejection', (reason) => stop.request(`launcher error (unhandled rejection): ${(reason as Error)?.stack ?? String(reason)}`, true, say));

  // Fail fast on a bad TRAFFIC_* / CLICKHOUSE_* before anything starts. TRAFFIC_EVENTS_PER_S=0 means no traffic.
  const rawRate = process.env.TRAFFIC_EVENTS_PER_S?.trim();
  const noTraffic = rawRate !== undefined && rawRate !== '' && Number(rawRate) === 0;
  const trafficConfig = loadTrafficConfig(noTraffic ? { ...process.env, TRAFFIC_EVENTS_PER_S: undefined } : process.env);
  const clickhouse = settingsFromEnv(loadConfig(clickhouseEnv));

  const problems = preflightProblems(settings);
  if (problems.length > 0) {
    for (const problem of problems) say(`refusing to start: ${problem}`);
    return 1;
  }
  mkdirSync(settings.logDir, { recursive: true });
  out.logTo(path.join(settings.logDir, 'launcher.log'));
  // Every child carries it, so a stray process can be traced to its stack.
  process.env.TELLTALE_LOCAL_DIR = settings.localDir;

  // One development write key (source `dev`), which the traffic generator sends, unless sources are configured;
  // COLLECTOR_WRITE_KEYS set empty runs the collector in its open mode (no key needed).
  const devWriteKey = process.env.COLLECTOR_WRITE_KEYS === undefined && !process.env.COLLECTOR_SOURCES_FILE ? trafficConfig.TRAFFIC_WRITE_KEY : undefined;
  say(`node for the services and chDB: ${node.version} (${node.path})`);
  if (devWriteKey !== undefined) say(`write key: ${devWriteKey} (source dev): curl -u '${devWriteKey}:' localhost:${settings.ports.collector}/v1/batch …`);
  // One development read key for the query API, unless QUERY_READ_KEYS names others. Distinct from the write key: a
  // write key reads nothing, a read key writes nothing.
  const devReadKey = process.env.QUERY_READ_KEYS ? undefined : DEV_READ_KEY;
  if (devReadKey !== undefined) say(`read key: ${devReadKey} (query API): curl -H 'Authorization: Bearer ${devReadKey}' localhost:${settings.ports.query}/v1/funnel`);

  const stack = new LocalStack(settings, {
    serviceEnv: {
      ...(devWriteKey !== undefined ? { COLLECTOR_WRITE_KEYS: `${devWriteKey}:dev` } : {}),
      ...(devReadKey !== undefined ? { QUERY_READ_KEYS: `${devReadKey}:dev` } : {}),
      CLICKHOUSE_DATABASE: clickhouse.database,
      // NOTE: the simulated sessions last seconds, and a logged-in user returns after TRAFFIC_MIN_RETURN_GAP_S (45 s);
      // the web convention of 30 min would merge those visits into one session.
      ENRICHER_SESSION_TIMEOUT_S:
        process.env.ENRICHER_SESSION_TIMEOUT_S || String(Math.max(5, Math.floor(trafficConfig.TRAFFIC_MIN_RETURN_GAP_S * 0.66))),
    },
    traffic: noTraffic ? undefined : { ...trafficOptions(trafficConfig), logger: fileLogger(path.join(settings.logDir, 'traffic-generator.log')) },
    log: (line) => say(`  ${line}`),
    node: node.path,
  });

  let startFailed = false;
  const started = stack.start().then(
    () => true,
    (err: unknown) => {
      if (stop.reason === undefined) {
        startFailed = true;
        say(`\nstart-up failed: ${(err as Error).message}`);
      }
      return false;
    },
  );
  const ready = await Promise.race([started, stop.promise.then(() => false)]);
  let client: ClickHouseClient | undefined;
  if (ready && stop.reason === undefined) {
    // Silent: a failed read shows as "–" on the dashboard; the client's own error lines would garble the screen.
    client = createClickHouseClient({ ...clickhouse, url: stack.clickhouseUrl, requestTimeoutMs: 2_000 }, { logger: createLogger('launcher', 'silent') });
    await runDashboard(stack, client, settings, out, noTraffic ? 0 : trafficConfig.TRAFFIC_EVENTS_PER_S, stop.promise);
  }
  say('stopping…');
  const clean = await stack.stop();
  await started;
  await client?.close().catch(() => undefined);
  say(`logs: ${settings.logDir}/`);
  return startFailed || stop.failed || !clean ? 1 : 0;
}

async function runDashboard(
  stack: LocalStack,
  client: ClickHouseClient,
  settings: LauncherSettings,
  out: Output,
  targetPerS: number,
  stop: Promise<void>,
): Promise<void> {
  const sampler = new DashboardSampler(stack.pipeline.services, client, settings.logDir);
  const tty = process.stdout.isTTY === true;
  let lastLineAt = 0;
  let last: DashboardSnapshot | undefined;
  let stopped = false;
  void stop.then(() => (stopped = true));
  if (tty) {
    out.dashboardOwnsTerminal = true;
    out.write('\x1b[?25l'); // hide the cursor while redrawing
  }
  try {
    while (!stopped) {
      const t0 = Date.now();
      const traffic = stack.traffic?.stats();
      last = {
        ...(await sampler.sample(
          traffic && {
            targetPerS,
            accepted: traffic.accepted,
            rejected: traffic.rejected,
            failed: traffic.failed,
            sessionsStarted: traffic.sessionsStarted,
            sessionsPurchased: traffic.sessionsPurchased,
          },
        )),
        processes: stack.processes.map((p) => ({ name: p.name, status: p.status, restarts: p.restarts })),
        liveViewUrl: stack.liveViewUrl,
        events: tty ? [...out.recent] : undefined,
      };
      if (stopped) break;
      if (tty) {
        out.write(`\x1b[H\x1b[2J${renderDashboard(last)}\n`);
      } else if (t0 - lastLineAt >= 4_500) {
        out.say(statusLine(last));
        lastLineAt = t0;
      }
      // NOTE: each sample reads every service's /healthz and /metrics and counts two ClickHouse tables: about 0.02
      // cores of the stack's idle 0.35 at one a second. Every 2 s on a terminal is still live; without one, only the
      // status line every 5 s is shown, so there is nothing to sample for in between.
      await Promise.race([stop, sleep(Math.max(0, (tty ? 2_000 : 5_000) - (Date.now() - t0)))]);
    }
  } finally {
    if (tty) {
      out.write('\x1b[?25h');
      out.dashboardOwnsTerminal = false;
    }
  }
  if (last) out.say(`\nlast status: ${statusLine(last)}`);
}

/** JSON lines in the generator's own log file, so the dashboard owns the terminal. */
function fileLogger(file: string): TrafficLogger {
  const stream = createWriteStream(file, { flags: 'w' });
  const write = (level: string) => (obj: object, msg: string) =>
    stream.write(`${JSON.stringify({ level, time: new Date().toISOString(), service: 'traffic-generator', ...obj, msg })}\n`);
  return { info: write('info'), warn: write('warn') };
}

/** The query API's read key in a development stack (README "Asking questions"); QUERY_READ_KEYS replaces it. */
const DEV_READ_KEY = 'dev-read-key';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    // Only before anything was spawned (bad settings): later failures go through the ordered stop above.
    process.stderr.write(`local stack: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
