// The deployment's files checked against each other and against the code: Compose runs every service folder with
// a healthcheck, Prometheus scrapes each of them, every Grafana panel reads a provisioned data source and metrics or
// tables that exist, the alert rules read metrics that exist; and the tools themselves accept the files
// (docker-compose config, promtool), in CI always, locally when installed.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  ALERT_RULES,
  alertRules,
  clickhouseRelations,
  COMPOSE_FILE,
  composeServices,
  dashboards,
  declaredMetricNames,
  PROMETHEUS_CONFIG,
  prometheusTargets,
  provisionedDatasources,
  queryPanels,
  relationsIn,
  telltaleMetricsIn,
} from './deployment-files';
import { listServices, REPO_ROOT } from './service-build';

const services = listServices();
const compose = composeServices();

describe('Dockerfile', () => {
  // No Docker engine here: the instructions that make the image what the README says, read from the file.
  const lines = readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8')
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
  const stageStarts = lines.flatMap((l, i) => (l.startsWith('FROM ') ? [i] : []));
  const finalStage = lines.slice(stageStarts[stageStarts.length - 1]);

  test('is multi-stage on a slim Node 24 base, building with the same pnpm build and deploy as CI', () => {
    expect(lines.filter((l) => l.startsWith('FROM ')).length).toBeGreaterThanOrEqual(2);
    expect(lines).toContain('ARG NODE_IMAGE=node:24-bookworm-slim');
    expect(lines.join('\n')).toMatch(/RUN pnpm build "\$\{SERVICE\}" && pnpm deploy:services --out \/deploy "\$\{SERVICE\}"/);
  });

  test('the image runs node dist/main.js under tini, as a non-root user, with a HEALTHCHECK on /healthz', () => {
    expect(finalStage).toContain('USER node');
    expect(finalStage).toContain('ENTRYPOINT ["/usr/bin/tini", "--"]');
    expect(finalStage).toContain('CMD ["node", "dist/main.js"]');
    expect(finalStage.find((l) => l.startsWith('HEALTHCHECK'))).toMatch(/\/healthz/);
    // No whitespace inside its arguments: podman's Docker-compatible API splits them there (containers/podman#26519).
    const healthArgs = JSON.parse(/CMD (\[.*\])/.exec(finalStage.find((l) => l.startsWith('HEALTHCHECK'))!)![1]!) as string[];
    expect(healthArgs.filter((arg) => /\s/.test(arg))).toEqual([]);
    // Only the deployed folder reaches the image: no sources, no workspace, no development dependencies.
    expect(finalStage.filter((l) => l.startsWith('COPY'))).toEqual(['COPY --from=build /deploy/${SERVICE} ./']);
  });
});

describe('docker-compose.yml', () => {
  test.each(services.map((s) => s.name))('runs %s from the one Dockerfile, with a healthcheck, a restart policy and healthy dependencies', (name) => {
    const service = compose[name];
    expect(service).toBeDefined();
    expect(service!.build?.dockerfile ?? 'Dockerfile').toBe('Dockerfile');
    expect(service!.build?.args?.SERVICE).toBe(name);
    expect(Number(service!.build?.args?.HEALTH_PORT)).toBeGreaterThan(0);
    expect(service!.healthcheck?.disable).not.toBe(true);
    expect(service!.healthcheck?.test?.join(' ')).toContain('/healthz');
    // podman's Docker-compatible API splits a CMD health check's arguments on whitespace (containers/podman#26519).
    expect(service!.healthcheck?.test?.slice(1).filter((arg) => /\s/.test(arg))).toEqual([]);
    expect(service!.restart).toBe('unless-stopped');
    for (const [dependency, { condition }] of Object.entries(service!.depends_on ?? {})) {
      expect(compose[dependency]).toBeDefined();
      expect(dependency === 'topic-init' ? condition === 'service_completed_successfully' : condition === 'service_healthy').toBe(true);
    }
  });

  test('every stage that uses Kafka starts after the topic-init job, which runs the bundled init-topics entry', () => {
    expect(compose['topic-init']?.command).toEqual(['node', 'dist/init-topics.js']);
    for (const s of services.filter((s) => s.dependencies.includes('@telltale/kafka'))) {
      expect([s.name, compose[s.name]?.depends_on?.['topic-init']?.condition]).toEqual([s.name, 'service_completed_successfully']);
    }
  });

  test('Kafka is the same version as the local broker (infra/kafka/pom.xml)', () => {
    const version = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(readFileSync(path.join(REPO_ROOT, 'infra/kafka/pom.xml'), 'utf8'))?.[1];
    expect(compose.kafka?.image).toBe(`apache/kafka:${version}`);
  });

  test('the services never write to ClickHouse as the read-only user, and Grafana reads as it', () => {
    const users = readFileSync(path.join(REPO_ROOT, 'infra/clickhouse/users.d/telltale-users.xml'), 'utf8');
    expect(users).toMatch(/<telltale_reader>[\s\S]*GRANT SELECT ON telltale\.\*[\s\S]*<\/telltale_reader>/);
    expect(users).toMatch(/<telltale_writer>[\s\S]*GRANT ALL ON telltale\.\*[\s\S]*<\/telltale_writer>/);
    for (const s of ['sink', 'trainer']) expect(compose[s]?.environment?.CLICKHOUSE_USER).toBe('telltale_writer');
    expect(readFileSync(path.join(REPO_ROOT, 'infra/grafana/provisioning/datasources/telltale.yml'), 'utf8')).toContain('username: telltale_reader');
  });
});

describe('Prometheus scrape config', () => {
  test.each(services.map((s) => s.name))('scrapes %s on the port of its /metrics, labelled with its stage', (name) => {
    const port = compose[name]?.build?.args?.HEALTH_PORT;
    expect(prometheusTargets()).toContainEqual({ target: `${name}:${port}`, labels: { stage: name } });
  });
});

const declared = declaredMetricNames();

describe('Grafana dashboards', () => {
  const datasources = new Map(provisionedDatasources().map((d) => [d.uid, d.type]));
  const relations = clickhouseRelations();

  test('there is at least one, and each has panels', () => {
    expect(dashboards().length).toBeGreaterThan(0);
    for (const { dashboard } of dashboards()) expect(queryPanels(dashboard).length).toBeGreaterThan(0);
  });

  for (const { file, dashboard } of dashboards()) {
    describe(file, () => {
      test.each(queryPanels(dashboard).map((p) => [p.title, p] as const))('%s reads a provisioned data source and things that exist', (_, panel) => {
        expect(panel.datasource && datasources.get(panel.datasource.uid)).toBe(panel.datasource?.type);
        expect(panel.targets?.length).toBeGreaterThan(0);
        for (const target of panel.targets ?? []) {
          expect(target.datasource ?? panel.datasource).toEqual(panel.datasource);
          if (panel.datasource!.type === 'prometheus') {
            expect(target.expr).toBeTruthy();
            const metrics = telltaleMetricsIn(target.expr!);
            expect(metrics.length).toBeGreaterThan(0);
            expect(metrics.filter((m) => !declared.has(m))).toEqual([]);
          } else {
            expect(target.rawSql).toBeTruthy();
            const read = relationsIn(target.rawSql!);
            expect(read.length).toBeGreaterThan(0);
            expect(read.filter((r) => !relations.has(r))).toEqual([]);
          }
        }
      });
    });
  }
});

describe('alert rules', () => {
  test.each(alertRules().map((r) => [r.alert, r] as const))('%s reads metrics the code exports', (_, rule) => {
    expect(telltaleMetricsIn(rule.expr).filter((m) => !declared.has(m))).toEqual([]);
  });

  test('cover stage down, lag growing, end-to-end lag, dead-letter rate and no new model', () => {
    const exprs = alertRules().map((r) => r.expr).join('\n');
    for (const needle of ['up{', 'telltale_kafka_consumer_lag', 'telltale_kafka_end_to_end_lag_seconds', 'telltale_dead_letters_total', 'telltale_trainer_published_total']) {
      expect(exprs).toContain(needle);
    }
  });
});

/**
 * A test that runs a real tool. NOTE: locally, without the tool, it is skipped with the reason in its name; in CI
 * (CI set, as .ci/run does after installing the Debian packages) a missing tool fails it instead.
 */
function withTool(tool: string, debianPackage: string): (name: string, fn: () => void) => void {
  const found = spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
  return (name, fn) => {
    if (found) test(name, fn);
    else if (process.env.CI) test(name, () => fail(`${tool} is not installed: CI must install Debian's ${debianPackage}`));
    else test.skip(`${name} [skipped: ${tool} not installed; apt-get install ${debianPackage}]`, fn);
  };
}

function fail(message: string): never {
  throw new Error(message);
}

describe('the tools accept the files', () => {
  withTool('docker-compose', 'docker-compose')('docker-compose config (Debian docker-compose)', () => {
    const run = spawnSync('docker-compose', ['-f', COMPOSE_FILE, 'config', '-q'], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect([run.status, run.error?.message, run.stderr]).toEqual([0, undefined, '']);
  });

  withTool('promtool', 'prometheus')('promtool check config (loads the rules too)', () => {
    const run = spawnSync('promtool', ['check', 'config', PROMETHEUS_CONFIG], { encoding: 'utf8' });
    expect([run.status, run.error?.message, run.stderr]).toEqual([0, undefined, '']);
  });

  withTool('promtool', 'prometheus')('promtool check rules', () => {
    const run = spawnSync('promtool', ['check', 'rules', ALERT_RULES], { encoding: 'utf8' });
    expect([run.status, run.error?.message, run.stderr]).toEqual([0, undefined, '']);
    expect(run.stdout).toContain(`SUCCESS: ${alertRules().length} rules found`);
  });
});
