// The real Prometheus (Debian's `prometheus`) scraping a running local pipeline (`pnpm start`'s launcher, on the
// test broker and ClickHouse, with synthetic traffic): every service is an `up` target, the key series (events in,
// consumer lag, end-to-end lag) are there and moving, the repository's alert rules load, and every Prometheus query
// of the Grafana dashboards runs. In CI always; locally skipped when prometheus is not installed.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnTsx } from '@telltale/local-stack';
import { readStackFile, type StackFile } from '@telltale/local-stack/src/stack-file';
import { createTestDatabase, eventually, freePort, testId, type TestDatabase } from '@telltale/testing';
import { stringify as toYaml } from 'yaml';
import { ALERT_RULES, alertRules, dashboards, queryPanels } from './deployment-files';
import { REPO_ROOT } from './service-build';

/** This helper's share of ports (see HELPERS: stacks side by side need their own offset). */
const PORT_OFFSET = 25_000;
const START = path.join(REPO_ROOT, 'infra/local-stack/src/start.ts');
const installed = spawnSync('sh', ['-c', 'command -v prometheus']).status === 0;
const describeWithPrometheus = installed || process.env.CI ? describe : describe.skip;

interface PromResponse<T> {
  status: 'success' | 'error';
  data: T;
  error?: string;
}

describeWithPrometheus(`Prometheus against the running pipeline${installed ? '' : ' [skipped: prometheus not installed; apt-get install prometheus]'}`, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'telltale-prometheus-'));
  let db: TestDatabase;
  let launcher: ChildProcess | undefined;
  let launcherExit: Promise<number | null>;
  let prometheus: ChildProcess | undefined;
  let prometheusUrl: string;
  let stack: StackFile;

  async function api<T>(pathAndQuery: string): Promise<T> {
    const res = await fetch(`${prometheusUrl}${pathAndQuery}`);
    const body = (await res.json()) as PromResponse<T>;
    if (body.status !== 'success') throw new Error(`${pathAndQuery}: ${body.error}`);
    return body.data;
  }

  async function query(expr: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
    return (await api<{ result: Array<{ metric: Record<string, string>; value: [number, string] }> }>(`/api/v1/query?query=${encodeURIComponent(expr)}`)).result;
  }

  beforeAll(async () => {
    if (!installed) throw new Error("prometheus is not installed: CI must install Debian's prometheus package");
    db = await createTestDatabase();
    const id = testId('prom');
    const localDir = path.join(dir, 'stack');
    launcher = spawnTsx(START, {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        TELLTALE_LOCAL_DIR: localDir,
        TELLTALE_PORT_OFFSET: String(PORT_OFFSET),
        CLICKHOUSE_DATABASE: db.settings.database,
        TOPIC_PREFIX: `${id}.`,
        ENRICHER_GROUP_ID: `${id}-enricher`,
        SINK_GROUP_ID: `${id}-sink`,
        SCORER_GROUP_ID: `${id}-scorer`,
        TRAFFIC_EVENTS_PER_S: '10',
      },
      logFile: path.join(dir, 'launcher.out'),
      detached: true,
    });
    launcherExit = new Promise((resolve) => launcher!.once('exit', (code) => resolve(code)));
    stack = await eventually(
      () => {
        if (launcher!.exitCode !== null) throw new Error(`the launcher exited with ${launcher!.exitCode}; see ${dir}/launcher.out`);
        const s = readStackFile(path.join(localDir, 'stack.json'));
        return s?.ready && Object.values(s.processes).every((p) => p.status === 'healthy') ? s : undefined;
      },
      'the local stack ready',
      240_000,
    );

    // Every process the launcher runs that is a service of ours (not Kafka or chDB, which are the test infra's).
    const targets = Object.entries(stack.processes).map(([name, p]) => ({ targets: [new URL(p.url).host], labels: { stage: name } }));
    const config = {
      global: { scrape_interval: '2s', evaluation_interval: '2s' },
      rule_files: [ALERT_RULES],
      scrape_configs: [{ job_name: 'telltale', metrics_path: '/metrics', static_configs: targets }],
    };
    writeFileSync(path.join(dir, 'prometheus.yml'), toYaml(config));
    const port = await freePort();
    prometheusUrl = `http://127.0.0.1:${port}`;
    prometheus = spawn('prometheus', [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], {
      stdio: 'ignore',
    });
  }, 360_000);

  afterAll(async () => {
    prometheus?.kill('SIGTERM');
    if (launcher && launcher.exitCode === null) {
      launcher.kill('SIGTERM');
      await launcherExit;
    }
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  test('every service is an up target', async () => {
    const expected = Object.keys(stack.processes).sort();
    const up = await eventually(
      async () => {
        const { activeTargets } = await api<{ activeTargets: Array<{ labels: Record<string, string>; health: string; lastError: string }> }>('/api/v1/targets');
        const healthy = activeTargets.filter((t) => t.health === 'up').map((t) => t.labels.stage!);
        return healthy.length === expected.length ? healthy.sort() : undefined;
      },
      `every one of ${expected.join(', ')} up in Prometheus`,
      60_000,
    );
    expect(up).toEqual(expected);
    expect(expected).toEqual(expect.arrayContaining(['collector', 'enricher', 'sink', 'trainer', 'scorer']));
  }, 90_000);

  test('events in, consumer lag and end-to-end lag per stage are present, and the counts increase', async () => {
    const sum = async (expr: string) => Number((await query(`sum(${expr})`))[0]?.value[1] ?? NaN);
    const first = await eventually(async () => {
      const accepted = await sum('telltale_collector_events_accepted_total');
      const consumed = await sum('telltale_kafka_consumed_records_total{stage="sink"}');
      return accepted > 0 && consumed > 0 ? { accepted, consumed } : undefined;
    }, 'events accepted by the collector and committed by the sink', 120_000);
    await eventually(
      async () => (await sum('telltale_collector_events_accepted_total')) > first.accepted && (await sum('telltale_kafka_consumed_records_total{stage="sink"}')) > first.consumed,
      'both counts to grow',
      120_000,
    );

    // A lag gauge per partition of each consuming stage; the end-to-end lag of each consumed topic, in seconds.
    const lagStages = new Set((await query('telltale_kafka_consumer_lag')).map((s) => s.metric.stage));
    expect([...lagStages].sort()).toEqual(expect.arrayContaining(['enricher', 'scorer', 'sink']));
    const endToEnd = await eventually(async () => {
      const series = await query('telltale_kafka_end_to_end_lag_seconds');
      const stages = new Set(series.map((s) => s.metric.stage));
      return ['enricher', 'sink', 'scorer'].every((s) => stages.has(s)) ? series : undefined;
    }, 'end-to-end lag of the enricher, the sink and the scorer', 120_000);
    for (const s of endToEnd) {
      // While traffic flows, what a stage committed was received moments ago (generous for 2 shared cores).
      expect([s.metric.stage, s.metric.topic, Number(s.value[1]) >= 0 && Number(s.value[1]) < 120]).toEqual([s.metric.stage, s.metric.topic, true]);
    }
  }, 300_000);

  test("the repository's alert rules load, and every dashboard query runs", async () => {
    const { groups } = await api<{ groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string }> }> }>('/api/v1/rules');
    const rules = groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.name).sort()).toEqual(alertRules().map((r) => r.alert).sort());
    for (const r of rules) expect([r.name, r.lastError ?? '']).toEqual([r.name, '']);

    for (const { file, dashboard } of dashboards()) {
      for (const panel of queryPanels(dashboard).filter((p) => p.datasource?.type === 'prometheus')) {
        for (const target of panel.targets ?? []) {
          await expect(query(target.expr!).then(() => 'ok', (err: Error) => `${file} / ${panel.title}: ${err.message}`)).resolves.toBe('ok');
        }
      }
    }
  }, 60_000);
});
