// Readers of the deployment's files (Compose, Prometheus, Grafana) for the tests that check them against each other
// and against the code: one place that knows where they are and what shape they have.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { REPO_ROOT } from './service-build';

export const COMPOSE_FILE = path.join(REPO_ROOT, 'docker-compose.yml');
export const PROMETHEUS_CONFIG = path.join(REPO_ROOT, 'infra/prometheus/prometheus.yml');
export const ALERT_RULES = path.join(REPO_ROOT, 'infra/prometheus/alerts.yml');
export const GRAFANA_DATASOURCES = path.join(REPO_ROOT, 'infra/grafana/provisioning/datasources/telltale.yml');
export const GRAFANA_DASHBOARDS_DIR = path.join(REPO_ROOT, 'infra/grafana/dashboards');
export const MIGRATIONS_DIR = path.join(REPO_ROOT, 'infra/clickhouse/migrations');

export function readYaml<T>(file: string): T {
  // merge: Compose's shared blocks (<<: *service) are YAML merge keys.
  return parseYaml(readFileSync(file, 'utf8'), { merge: true }) as T;
}

export interface ComposeService {
  build?: { context: string; dockerfile?: string; args?: Record<string, string | number> };
  image?: string;
  command?: string[];
  healthcheck?: { test?: string[]; disable?: boolean };
  depends_on?: Record<string, { condition: string }>;
  restart?: string;
  environment?: Record<string, string | number>;
}

export function composeServices(): Record<string, ComposeService> {
  return readYaml<{ services: Record<string, ComposeService> }>(COMPOSE_FILE).services;
}

/** `host:port` → target labels, from the static scrape configs. */
export function prometheusTargets(): Array<{ target: string; labels: Record<string, string> }> {
  const config = readYaml<{ scrape_configs: Array<{ static_configs: Array<{ targets: string[]; labels?: Record<string, string> }> }> }>(PROMETHEUS_CONFIG);
  return config.scrape_configs.flatMap((job) => job.static_configs.flatMap((c) => c.targets.map((target) => ({ target, labels: c.labels ?? {} }))));
}

export interface AlertRule {
  alert: string;
  expr: string;
}

export function alertRules(): AlertRule[] {
  return readYaml<{ groups: Array<{ rules: AlertRule[] }> }>(ALERT_RULES).groups.flatMap((g) => g.rules);
}

export interface DashboardTarget {
  datasource?: { type: string; uid: string };
  refId: string;
  expr?: string;
  rawSql?: string;
}

export interface DashboardPanel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  targets?: DashboardTarget[];
  panels?: DashboardPanel[];
}

export interface Dashboard {
  uid: string;
  title: string;
  panels: DashboardPanel[];
}

/** Every dashboard JSON file, parsed (a syntax error fails here, naming the file). */
export function dashboards(): Array<{ file: string; dashboard: Dashboard }> {
  return readdirSync(GRAFANA_DASHBOARDS_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((file) => {
      const text = readFileSync(path.join(GRAFANA_DASHBOARDS_DIR, file), 'utf8');
      try {
        return { file, dashboard: JSON.parse(text) as Dashboard };
      } catch (err) {
        throw new Error(`${file} is not valid JSON: ${(err as Error).message}`);
      }
    });
}

/** The panels that query something (rows and their nested panels flattened). */
export function queryPanels(dashboard: Dashboard): DashboardPanel[] {
  return dashboard.panels.flatMap((p) => (p.type === 'row' ? (p.panels ?? []) : [p]));
}

export function provisionedDatasources(): Array<{ name: string; uid: string; type: string }> {
  return readYaml<{ datasources: Array<{ name: string; uid: string; type: string }> }>(GRAFANA_DATASOURCES).datasources;
}

/** Metric names a PromQL expression reads (our own, telltale_*), histogram suffixes removed. */
export function telltaleMetricsIn(expr: string): string[] {
  const names = expr.match(/\btelltale_[a-z0-9_]+/g) ?? [];
  return [...new Set(names.map((n) => n.replace(/_(bucket|sum|count)$/, '')))];
}

/**
 * Every metric name the code declares: `name: 'telltale_…'` and name arguments of the metric helpers, in the
 * non-test sources of services and packages, plus prom-client's default metrics (prefix telltale_).
 */
export function declaredMetricNames(): Set<string> {
  const names = new Set<string>();
  for (const root of ['services', 'packages']) {
    for (const dir of readdirSync(path.join(REPO_ROOT, root))) {
      const src = path.join(REPO_ROOT, root, dir, 'src');
      let files: string[];
      try {
        files = readdirSync(src, { recursive: true }) as string[];
      } catch {
        continue;
      }
      for (const file of files) {
        if (!file.endsWith('.ts') || file.endsWith('.test.ts')) continue;
        const text = readFileSync(path.join(src, file), 'utf8');
        for (const m of text.matchAll(/'(telltale_[a-z0-9_]+)'/g)) names.add(m[1]!);
      }
    }
  }
  return names;
}

/** Tables and views the migrations create. */
export function clickhouseRelations(): Set<string> {
  const names = new Set<string>();
  for (const file of readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql'))) {
    const sql = readFileSync(path.join(MIGRATIONS_DIR, file), 'utf8');
    for (const m of sql.matchAll(/CREATE\s+(?:OR\s+REPLACE\s+)?(?:TABLE|VIEW|MATERIALIZED\s+VIEW)\s+(?:IF\s+NOT\s+EXISTS\s+)?([A-Za-z_][A-Za-z0-9_]*)/gi)) {
      names.add(m[1]!);
    }
  }
  return names;
}

/** Relations a panel's SQL reads: the names after FROM / JOIN (table functions included, subqueries skipped). */
export function relationsIn(sql: string): string[] {
  return [...sql.matchAll(/\b(?:FROM|JOIN)\s+([A-Za-z_][A-Za-z0-9_]*)/gi)].map((m) => m[1]!);
}

/**
 * A panel's SQL as ClickHouse would receive it from Grafana's ClickHouse plugin: its time macros and Grafana's
 * time variables replaced by the given range (`$__timeFilter(c)` → c within the range).
 */
export function expandGrafanaSql(sql: string, range: { fromS: number; toS: number }): string {
  return sql
    .replace(/\$__timeFilter\(([^)]+)\)/g, (_, column: string) => `${column} >= toDateTime(${range.fromS}) AND ${column} <= toDateTime(${range.toS})`)
    .replace(/\$\{__from:date:seconds\}/g, String(range.fromS))
    .replace(/\$\{__to:date:seconds\}/g, String(range.toS));
}
