// Every service's image (infra/containers/build-images.sh) run as containers with podman against the test broker and
// ClickHouse (jest's global setup: the local Kafka and the embedded ClickHouse server, reached over the host's
// network): topics created by the collector image's init-topics entry, every container healthy by its image's own
// HEALTHCHECK, running as uid 1000 on a read-only root filesystem with no capabilities; events POSTed to the
// collector's container become rows in ClickHouse and, once the trainer's container has published a model, a
// prediction the sink's container wrote to `predictions`; then each stops on SIGTERM (`podman stop`), upstream
// first, with exit code 0 well inside its grace period.
// In CI always (where the images must have been built: .ci/run runs build-images.sh first); elsewhere skipped, with
// the reason, when podman or the images are missing.
import { execFile, spawnSync } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { createTestDatabase, eventually, freePort, testId, type TestDatabase } from '@telltale/testing';
import { listServices, REPO_ROOT } from './service-build';

const run = promisify(execFile);
const IMAGE_PREFIX = process.env.IMAGE_PREFIX ?? 'localhost/telltale';
// podman's settings for this repository (runc, cgroupfs, no default ulimits): see the file.
const CONTAINERS_CONF = process.env.CONTAINERS_CONF ?? path.join(REPO_ROOT, 'infra/containers/containers.conf');
const podmanEnv = { ...process.env, CONTAINERS_CONF };
const SERVICES = listServices().map((s) => s.name);
/**
 * The query API first (it only reads), then upstream first: a stage stops after what feeds it, so it can finish and
 * commit what it already received.
 */
const STOP_ORDER = ['query', 'collector', 'enricher', 'scorer', 'trainer', 'sink', 'console'];
const STOP_GRACE_S = 15;

function podmanSync(args: string[]) {
  return spawnSync('podman', args, { env: podmanEnv, encoding: 'utf8' });
}
async function podman(args: string[]): Promise<string> {
  const { stdout } = await run('podman', args, { env: podmanEnv, maxBuffer: 64 * 1024 * 1024 });
  return stdout.trim();
}

const installed = podmanSync(['--version']).status === 0;
const missingImages = installed ? SERVICES.filter((s) => podmanSync(['image', 'exists', `${IMAGE_PREFIX}/${s}`]).status !== 0) : SERVICES;
const why = !installed
  ? 'podman not installed; apt-get install podman buildah runc debootstrap'
  : missingImages.length > 0
    ? `no image for ${missingImages.join(', ')}; bash infra/containers/build-images.sh`
    : '';
const describeWithImages = why === '' || process.env.CI ? describe : describe.skip;

/** A visitor of the history the trainer learns from: every third buys after returning and adding to cart. */
function trainingSession(i: number, start: number): Array<Record<string, unknown>> {
  const user = `ctr-train-${i}`;
  const at = (s: number) => new Date(start + s * 1000).toISOString();
  const buys = i % 3 === 0;
  return [
    ...(buys ? [{ type: 'page', anonymousId: user, messageId: `${user}-0`, timestamp: at(-7200) }] : []),
    { type: 'page', anonymousId: user, messageId: `${user}-1`, timestamp: at(0) },
    ...(buys || i % 5 === 0
      ? [{ type: 'track', event: 'Product Added', anonymousId: user, messageId: `${user}-2`, timestamp: at(9), properties: { productId: 'p1', price: 20, quantity: 1 } }]
      : []),
    ...(buys ? [{ type: 'track', event: 'Order Completed', anonymousId: user, messageId: `${user}-3`, timestamp: at(20), properties: { revenue: 20 } }] : []),
  ];
}

describeWithImages(`every service's image as a container (podman)${why ? ` [skipped: ${why}]` : ''}`, () => {
  const id = testId('ctr');
  const prefix = `${id}.`;
  const name = (service: string) => `${id}-${service}`;
  const ports: Record<string, number> = {};
  const started: string[] = [];
  let db: TestDatabase;

  /** The service's settings for this test: its own topics, groups and database, a free port on the host network. */
  function envOf(service: string): Record<string, string> {
    const port = String(ports[service]);
    const env: Record<string, string> = {
      KAFKA_BROKERS: process.env.KAFKA_BROKERS!,
      CLICKHOUSE_URL: db.settings.url,
      CLICKHOUSE_DATABASE: db.settings.database,
      TOPIC_PREFIX: prefix,
      ENRICHER_GROUP_ID: `${id}-enricher`,
      SINK_GROUP_ID: `${id}-sink`,
      SCORER_GROUP_ID: `${id}-scorer`,
      SINK_MAX_WAIT_MS: '200',
      TRAINER_INTERVAL_S: '3',
      TRAINER_MIN_ROWS: '50',
      TRAINER_LABEL_DELAY_S: '0',
      TRAINER_PROMOTION_METRIC: 'none',
      // The collector and the console listen on PORT, the stages on ADMIN_PORT; HEALTH_PORT tells the image's
      // HEALTHCHECK where /healthz moved to.
      PORT: port,
      ADMIN_PORT: port,
      HEALTH_PORT: port,
      LOG_LEVEL: 'info',
    };
    if (db.settings.user) env.CLICKHOUSE_USER = db.settings.user;
    if (db.settings.password) env.CLICKHOUSE_PASSWORD = db.settings.password;
    if (service === 'query') env.QUERY_READ_KEYS = 'container-test-key:test';
    if (service === 'console') {
      // The stages, as in Compose (the query API is not one).
      env.CONSOLE_METRICS_TARGETS = SERVICES.filter((s) => s !== 'console' && s !== 'query')
        .map((s) => `${s}=http://127.0.0.1:${ports[s]}`)
        .join(',');
    }
    return env;
  }

  /**
   * NOTE: --network host: the broker and ClickHouse of the tests listen on the host's loopback. --read-only keeps
   * podman's default tmpfs on /tmp, /var/tmp and /run (--read-only-tmpfs); nothing else is writable.
   */
  function runArgs(service: string, env: Record<string, string>): string[] {
    return [
      'run', '--detach', '--name', name(service), '--network', 'host', '--read-only', '--cap-drop', 'ALL',
      '--security-opt', 'no-new-privileges', '--stop-timeout', String(STOP_GRACE_S),
      ...Object.entries(env).flatMap(([k, v]) => ['--env', `${k}=${v}`]),
      `${IMAGE_PREFIX}/${service}`,
    ];
  }

  async function logsOf(service: string): Promise<string> {
    return podman(['logs', '--tail', '40', name(service)]).catch((err: Error) => `(no logs: ${err.message})`);
  }

  beforeAll(async () => {
    if (why) throw new Error(`${why}: CI must install podman and build the images before the tests (.ci/run)`);
    db = await createTestDatabase();
    for (const s of SERVICES) ports[s] = await freePort();
    // The collector image's one-shot entry creates the topic set, as Compose's topic-init does.
    await podman([
      'run', '--rm', '--network', 'host', '--read-only', '--cap-drop', 'ALL',
      '--env', `KAFKA_BROKERS=${process.env.KAFKA_BROKERS}`, '--env', `TOPIC_PREFIX=${prefix}`, '--env', 'TOPIC_PARTITIONS=2',
      `${IMAGE_PREFIX}/collector`, 'node', 'dist/init-topics.js',
    ]);
    for (const s of SERVICES) {
      await podman(runArgs(s, envOf(s)));
      started.push(name(s));
    }
  }, 180_000);

  afterAll(async () => {
    for (const n of started) podmanSync(['rm', '--force', '--time', '0', n]);
    await db?.drop();
  });

  it('every container runs as uid 1000 on a read-only root filesystem and turns healthy by its HEALTHCHECK', async () => {
    for (const s of SERVICES) {
      const image = JSON.parse(await podman(['image', 'inspect', `${IMAGE_PREFIX}/${s}`])) as Array<{ Config: { User?: string }; Healthcheck?: { Test: string[] } }>;
      expect({ service: s, user: image[0]!.Config.User, health: image[0]!.Healthcheck?.Test[0] }).toEqual({ service: s, user: 'node', health: 'CMD' });
    }
    for (const s of SERVICES) {
      // TRICKY: podman 4.3 schedules HEALTHCHECK runs with systemd timers; without systemd (these machines) nothing
      // runs them, so the test runs the image's check itself. `podman healthcheck run` executes the image's command
      // and records the result where `podman inspect` (and a supervisor) reads the container's health.
      await eventually(
        async () => {
          const state = (await podman(['inspect', '--format', '{{.State.Status}}', name(s)])).trim();
          if (state !== 'running') throw new Error(`${s}'s container is ${state}:\n${await logsOf(s)}`);
          return podmanSync(['healthcheck', 'run', name(s)]).status === 0;
        },
        `${s}'s HEALTHCHECK to pass`,
        120_000,
      ).catch(async (err: Error) => {
        throw new Error(`${err.message}\n${s}'s logs:\n${await logsOf(s)}`);
      });
      expect(await podman(['inspect', '--format', '{{.State.Health.Status}}', name(s)])).toBe('healthy');
      const inside = await podman(['exec', name(s), 'node', '-e', 'process.stdout.write(JSON.stringify({ uid: process.getuid(), gid: process.getgid() }))']);
      expect({ service: s, ...JSON.parse(inside) }).toEqual({ service: s, uid: 1000, gid: 1000 });
      // The user's own home would be writable on a writable root filesystem: here the write is refused.
      expect(await podman(['inspect', '--format', '{{.HostConfig.ReadonlyRootfs}}', name(s)])).toBe('true');
      const write = podmanSync(['exec', name(s), 'touch', '/home/node/written']);
      expect({ service: s, write: write.stderr.trim() }).toEqual({ service: s, write: expect.stringContaining('Read-only file system') });
    }
  }, 600_000);

  it('an event POSTed to the collector container reaches ClickHouse and gets a prediction in predictions', async () => {
    const collector = `http://127.0.0.1:${ports.collector}`;
    const post = async (batch: unknown[]) => {
      const res = await fetch(`${collector}/v1/batch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ batch }) });
      return res.status;
    };
    const historyStart = Date.now() - 3_600_000;
    const history = Array.from({ length: 90 }, (_, i) => trainingSession(i, historyStart + i * 1000)).flat();
    for (let i = 0; i < history.length; i += 100) expect(await post(history.slice(i, i + 100))).toBe(200);
    // The trainer's container publishes a model (every fit, TRAINER_PROMOTION_METRIC=none) and writes it to models.
    await eventually(async () => {
      const rs = await db.client.query({ query: 'SELECT count() AS n FROM models WHERE version IS NOT NULL', format: 'JSONEachRow' });
      return Number((await rs.json<{ n: string }>())[0]?.n ?? 0) > 0;
    }, 'a model from the trainer container', 180_000);

    // The user under test, sent until a prediction appears: the scorer's container may take the model a moment later.
    const t = Date.now();
    let sent = 0;
    const prediction = await eventually(
      async () => {
        sent += 1;
        expect(await post([{ type: 'track', event: 'Product Added', userId: 'ctr-user', messageId: `ctr-m${sent}`, timestamp: new Date(t + sent).toISOString(), properties: { productId: 'sku-1', price: 10, quantity: 1 } }])).toBe(200);
        const rs = await db.client.query({
          query: `SELECT message_id, model_version, probability FROM predictions WHERE user_key = {user:String} ORDER BY message_id LIMIT 1`,
          query_params: { user: 'ctr-user' },
          format: 'JSONEachRow',
        });
        return (await rs.json<{ message_id: string; model_version: number; probability: number }>())[0];
      },
      'a prediction for ctr-user in ClickHouse',
      120_000,
    );
    expect(prediction.probability).toBeGreaterThan(0);
    expect(prediction.probability).toBeLessThan(1);
    // Its event went the whole way too: the sink's container wrote it to events.
    const rs = await db.client.query({
      query: 'SELECT count() AS n FROM events WHERE message_id = {m:String}',
      query_params: { m: prediction.message_id },
      format: 'JSONEachRow',
    });
    expect(Number((await rs.json<{ n: string }>())[0]!.n)).toBe(1);
  }, 420_000);

  it('each container stops on SIGTERM with exit code 0, upstream first', async () => {
    expect([...STOP_ORDER].sort()).toEqual(SERVICES);
    const stops: Array<{ service: string; exitCode: number; seconds: number }> = [];
    for (const s of STOP_ORDER) {
      const t0 = Date.now();
      // podman stop sends the image's stop signal (SIGTERM) to tini, which forwards it to node; SIGKILL only after
      // the grace period, which would show as exit code 137.
      await podman(['stop', '--time', String(STOP_GRACE_S), name(s)]);
      const seconds = (Date.now() - t0) / 1000;
      const exitCode = Number(await podman(['inspect', '--format', '{{.State.ExitCode}}', name(s)]));
      if (exitCode !== 0) process.stderr.write(`${s}'s logs:\n${await logsOf(s)}\n`);
      stops.push({ service: s, exitCode, seconds });
    }
    expect(stops.map(({ service, exitCode }) => ({ service, exitCode }))).toEqual(STOP_ORDER.map((service) => ({ service, exitCode: 0 })));
    for (const s of stops) expect(s.seconds).toBeLessThan(STOP_GRACE_S);
  }, 180_000);
});
