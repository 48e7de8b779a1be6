// The production path outside Docker: the same `pnpm build` and `pnpm deploy:services` code the Dockerfile runs
// gives a folder per service, outside the repository (so nothing resolves from the workspace's node_modules), that
// starts with `node dist/main.js` on its production dependencies only, answers /healthz against the test broker and
// ClickHouse, and exits 0 on SIGTERM. The sink applies the migrations it carries in dist/migrations to a new
// database, and the topic-init entry creates topics with the partitions and retention it is given.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { createClickHouseClient } from '@telltale/clickhouse';
import { topicsFor } from '@telltale/contracts';
import { describeProduceLimits } from '@telltale/kafka';
import { trainingSetOf, type TrainingRowInput } from '@telltale/model';
import { brokersFromEnv, eventually, freePort, testId, testKafka, testLogger } from '@telltale/testing';
import { buildService, deployService, listServices, REPO_ROOT, type ServiceSource } from './service-build';

const services = listServices();
const out = mkdtempSync(path.join(tmpdir(), 'telltale-deploy-'));
const prefix = `${testId('deploy')}.`;
const database = testId('deploydb');

interface Running {
  child: ChildProcess;
  port: number;
  output: () => string;
  exit: Promise<number | null>;
}
const running = new Map<string, Running>();

/**
 * NOTE: the child gets a minimal environment, not jest's: no NODE_OPTIONS, NODE_PATH or TELLTALE_* paths that
 * could make it load something from the repository. Both port variables are set: the collector and the console
 * listen on PORT, the stages on ADMIN_PORT; each ignores the other.
 */
async function start(service: ServiceSource, extraEnv: Record<string, string> = {}): Promise<Running> {
  const port = await freePort();
  const child = spawn(process.execPath, ['dist/main.js'], {
    cwd: path.join(out, service.name),
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      KAFKA_BROKERS: brokersFromEnv().join(','),
      CLICKHOUSE_URL: process.env.CLICKHOUSE_URL,
      CLICKHOUSE_DATABASE: database,
      TOPIC_PREFIX: prefix,
      ENRICHER_GROUP_ID: testId('enricher'),
      SINK_GROUP_ID: testId('sink'),
      SCORER_GROUP_ID: testId('scorer'),
      // The query API refuses to start without a read key (there is no open mode for reads).
      QUERY_READ_KEYS: 'production-build-test:test',
      PORT: String(port),
      ADMIN_PORT: String(port),
      LOG_LEVEL: 'info',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const handle = { child, port, output: () => output, exit };
  running.set(service.name, handle);
  return handle;
}

async function healthy(name: string, r: Running): Promise<void> {
  let exited = false;
  void r.exit.then(() => (exited = true));
  await eventually(
    async () => {
      if (exited) throw new Error(`${name} exited before answering /healthz:\n${r.output()}`);
      const res = await fetch(`http://127.0.0.1:${r.port}/healthz`);
      return res.status === 200;
    },
    `${name}'s /healthz to answer 200`,
    120_000,
  ).catch((err: Error) => {
    throw new Error(`${err.message}\n${name}'s output:\n${r.output()}`);
  });
}

beforeAll(async () => {
  for (const service of services) {
    await buildService(service);
    deployService(service, path.join(out, service.name));
  }
}, 600_000);

afterAll(async () => {
  for (const r of running.values()) r.child.kill('SIGKILL');
  const client = createClickHouseClient({ url: process.env.CLICKHOUSE_URL!, user: 'default', password: '', database: 'default' }, { logger: testLogger('clickhouse') });
  await client.command({ query: `DROP DATABASE IF EXISTS ${database}` });
  await client.close();
  rmSync(out, { recursive: true, force: true });
}, 60_000);

test('each deployed folder holds its bundle and production dependencies only', () => {
  for (const service of services) {
    const dir = path.join(out, service.name);
    expect([service.name, existsSync(path.join(dir, 'dist/main.js')), existsSync(path.join(dir, 'dist/schemas'))]).toEqual([service.name, true, true]);
    // No TypeScript sources of the service and none of the development tools.
    expect([service.name, existsSync(path.join(dir, 'src'))]).toEqual([service.name, false]);
    for (const devOnly of ['tsx', 'typescript', 'jest', '@telltale/testing']) {
      expect([service.name, devOnly, existsSync(path.join(dir, 'node_modules', devOnly))]).toEqual([service.name, devOnly, false]);
    }
  }
});

test('every service starts with node dist/main.js, answers /healthz, and exits 0 on SIGTERM', async () => {
  // The sink first: it creates the database from the migrations in its dist/ that the trainer and the console read.
  const sink = services.find((s) => s.name === 'sink')!;
  await healthy('sink', await start(sink));
  const others = services.filter((s) => s !== sink);
  await Promise.all(others.map(async (s) => healthy(s.name, await start(s))));

  for (const [name, r] of running) {
    r.child.kill('SIGTERM');
    expect([name, await r.exit]).toEqual([name, 0]);
  }

  const client = createClickHouseClient({ url: process.env.CLICKHOUSE_URL!, user: 'default', password: '', database }, { logger: testLogger('clickhouse') });
  try {
    const applied = await (await client.query({ query: 'SELECT version FROM schema_migrations ORDER BY version', format: 'JSONEachRow' })).json<{ version: string }>();
    const files = readdirSync(path.join(REPO_ROOT, 'infra/clickhouse/migrations')).filter((f) => f.endsWith('.sql'));
    expect(applied.length).toBe(files.length);
  } finally {
    await client.close();
  }
}, 300_000);

test('the bundled init-topics entry creates every topic with the partitions, retention and compaction it is given', async () => {
  const collector = services.find((s) => s.name === 'collector')!;
  const initPrefix = `${testId('init')}.`;
  const run = spawnSync(process.execPath, ['dist/init-topics.js'], {
    cwd: path.join(out, collector.name),
    env: { PATH: process.env.PATH, KAFKA_BROKERS: brokersFromEnv().join(','), TOPIC_PREFIX: initPrefix, TOPIC_PARTITIONS: '2', TOPIC_RETENTION_MS: '3600000' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect([run.status, run.stderr]).toEqual([0, '']);

  const topics = Object.values(topicsFor(initPrefix));
  const kafka = testKafka();
  const limits = await describeProduceLimits(kafka, topics.map((t) => t.name));
  for (const t of topics) expect([t.name, limits.partitions.get(t.name)]).toEqual([t.name, 2]);

  // NOTE: kafkajs' admin through the client (test code): what the broker itself says of the topics' settings.
  const admin = kafka.kafka.admin();
  await admin.connect();
  try {
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: topics.map((t) => ({ type: 2 /* TOPIC */, name: t.name, configNames: ['retention.ms', 'cleanup.policy'] })),
    });
    for (const resource of described.resources) {
      const config = Object.fromEntries(resource.configEntries.map((e) => [e.configName, e.configValue]));
      const compacted = topics.find((t) => t.name === resource.resourceName)!.compacted;
      expect([resource.resourceName, config]).toEqual([resource.resourceName, { 'retention.ms': '3600000', 'cleanup.policy': compacted ? 'compact' : 'delete' }]);
    }
  } finally {
    await admin.disconnect();
  }
}, 120_000);

test("the trainer's bundled worker thread fits a model from the deployed folder", async () => {
  // Sessions with two or more add-to-carts purchase: a set the fit learns from (as in model-fitting.test.ts).
  const rows: TrainingRowInput[] = [];
  for (let s = 0; s < 300; s++) {
    for (let k = 1; k <= 3; k++) {
      rows.push({
        sessionId: `s${s}`,
        eventKind: k === 1 ? 'page_view' : 'add_to_cart',
        eventTimeMs: 1_699_990_000_000 + s * 1000 + k * 100,
        features: { session_events: k, session_add_to_carts: Math.min(s % 4, k - 1) },
        label: (s % 4 >= 2) !== (s % 17 === 0) ? 1 : 0,
      });
    }
  }
  const opts = { name: 'purchase_propensity', runId: 'run-1', minRows: 50, testFraction: 0.25, holdoutFraction: 0.2, seed: 'test', l2: 1, timeFeatures: 'gated', nowMs: 1_700_000_000_000 };
  // The same file name model-fitting.thread.ts starts beside the bundle, with no loader flags.
  const worker = new Worker(path.join(out, 'trainer/dist/model-fitting.worker.js'), { workerData: { set: trainingSetOf(rows), opts }, execArgv: [] });
  const [outcome] = (await once(worker, 'message')) as [{ kind: string; candidate?: { holdout: { auc: number } } }];
  await worker.terminate();
  expect(outcome.kind).toBe('trained');
  expect(outcome.candidate!.holdout.auc).toBeGreaterThan(0.8);
}, 60_000);
