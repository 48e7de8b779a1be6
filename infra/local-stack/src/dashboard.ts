import type { ClickHouseClient } from '@telltale/clickhouse';
import { CounterRate, countOf, maxOf, parseMetricsText, sumOf, type MetricSample } from '@telltale/runtime';
import { healthOf, type ServiceName } from './pipeline';
import type { ProcessStatus } from './stack-file';

export interface ServiceHealth {
  name: ServiceName;
  /** undefined: no answer (down, or starting); false: 503, or a process other than ours answered. */
  healthy: boolean | undefined;
}

/** What the launcher's supervisor knows of one child. */
export interface ProcessView {
  name: string;
  status: ProcessStatus;
  restarts: number;
}

export interface TrafficSummary {
  targetPerS: number;
  accepted: number;
  rejected: number;
  failed: number;
  sessionsStarted: number;
  sessionsPurchased: number;
}

/** What one refresh shows; every number is optional so a metric that does not exist yet renders as "–". */
export interface DashboardSnapshot {
  elapsedS: number;
  services: ServiceHealth[];
  collectorEventsPerS?: number;
  collectorAccepted?: number;
  eventRows?: number;
  eventRowsPerS?: number;
  predictionRows?: number;
  predictionRowsPerS?: number;
  modelVersion?: number;
  auc?: number;
  predictionsPerS?: number;
  predictionsTotal?: number;
  dlq: { collector?: number; enricher?: number; sink?: number };
  traffic?: TrafficSummary;
  /** Every supervised child, Kafka and ClickHouse included; absent outside the launcher. */
  processes?: ProcessView[];
  /** The supervisor's latest notes (exits, restarts), newest last. */
  events?: string[];
  logDir: string;
  /** The live web view's address, when the console runs. */
  liveViewUrl?: string;
}

const DASH = '–';

export function fmt(n: number | undefined, digits = 0): string {
  if (n === undefined || !Number.isFinite(n)) return DASH;
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function clock(seconds: number): string {
  const s = Math.floor(seconds);
  return `${String(Math.floor(s / 3600)).padStart(2, '0')}:${String(Math.floor(s / 60) % 60).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

function health(h: ServiceHealth): string {
  return `${h.name} ${h.healthy === true ? 'ok' : h.healthy === false ? 'UNHEALTHY' : 'DOWN'}`;
}

function processText(p: ProcessView): string {
  const restarts = p.restarts === 0 ? '' : ` ↻${p.restarts}`;
  return `${p.name} ${p.status === 'healthy' ? 'ok' : p.status.toUpperCase()}${restarts}`;
}

/** "0", or the processes that were restarted: "enricher:1,kafka:2". */
function restartsText(processes: ProcessView[]): string {
  const restarted = processes.filter((p) => p.restarts > 0);
  return restarted.length === 0 ? '0' : restarted.map((p) => `${p.name}:${p.restarts}`).join(',');
}

function dlqTotal(d: DashboardSnapshot['dlq']): number | undefined {
  const parts = [d.collector, d.enricher, d.sink].filter((n): n is number => n !== undefined);
  return parts.length === 0 ? undefined : parts.reduce((a, b) => a + b, 0);
}

/** The full-screen view for a terminal. */
export function renderDashboard(s: DashboardSnapshot): string {
  const t = s.traffic;
  const purchaseRate = t && t.sessionsStarted > 0 ? (100 * t.sessionsPurchased) / t.sessionsStarted : undefined;
  const rows: Array<[string, string]> = [
    ['traffic', t ? `target ${fmt(t.targetPerS)} ev/s · accepted ${fmt(t.accepted)} · rejected ${fmt(t.rejected)} · failed ${fmt(t.failed)} · sessions ${fmt(t.sessionsStarted)} (${fmt(purchaseRate, 1)} % buy)` : 'not running'],
    ['collector', `${fmt(s.collectorEventsPerS, 1)} events/s accepted · ${fmt(s.collectorAccepted)} total`],
    ['clickhouse', `events ${fmt(s.eventRows)} rows (${fmt(s.eventRowsPerS, 1)}/s) · predictions ${fmt(s.predictionRows)} rows (${fmt(s.predictionRowsPerS, 1)}/s)`],
    ['model', `version ${fmt(s.modelVersion)} · AUC ${fmt(s.auc, 3)}`],
    ['scorer', `${fmt(s.predictionsPerS, 1)} predictions/s · ${fmt(s.predictionsTotal)} total`],
    ['dead letters', `${fmt(dlqTotal(s.dlq))} (collector ${fmt(s.dlq.collector)} · enricher ${fmt(s.dlq.enricher)} · sink ${fmt(s.dlq.sink)})`],
    ['health', s.services.map(health).join(' · ')],
  ];
  if (s.processes) rows.push(['processes', `${s.processes.map(processText).join(' · ')}  (↻ restarts)`]);
  return [
    `Telltale local stack · up ${clock(s.elapsedS)} · Ctrl-C stops everything`,
    ...(s.liveViewUrl ? [`  live view: ${s.liveViewUrl}`] : []),
    '',
    ...rows.map(([label, text]) => `  ${label.padEnd(13)}${text}`),
    ...(s.events && s.events.length > 0 ? ['', ...s.events.map((e) => `  ${e}`)] : []),
    '',
    `  logs: ${s.logDir}/<service>.log`,
  ].join('\n');
}

/** One line for logs and CI, where redrawing a screen makes no sense. */
export function statusLine(s: DashboardSnapshot): string {
  const down = [
    ...new Set([...s.services.filter((h) => h.healthy !== true).map((h) => h.name), ...(s.processes ?? []).filter((p) => p.status !== 'healthy').map((p) => p.name)]),
  ];
  return [
    `t=${Math.floor(s.elapsedS)}s`,
    `events/s=${fmt(s.collectorEventsPerS, 1)}`,
    `accepted=${fmt(s.collectorAccepted)}`,
    `ch_events=${fmt(s.eventRows)}`,
    `ch_predictions=${fmt(s.predictionRows)}`,
    `model=${fmt(s.modelVersion)}`,
    `auc=${fmt(s.auc, 3)}`,
    `predictions/s=${fmt(s.predictionsPerS, 1)}`,
    `dlq=${fmt(dlqTotal(s.dlq))}`,
    `health=${down.length === 0 ? 'all ok' : `not ok: ${down.join(',')}`}`,
    ...(s.processes ? [`restarts=${restartsText(s.processes)}`] : []),
  ].join(' ');
}

export interface SampledService {
  name: ServiceName;
  url: string;
  /** The pid the supervisor spawned: a /healthz answer carrying another pid is not this service's. */
  pid: number | null;
}

/**
 * Reads every service's /healthz and /metrics and the ClickHouse row counts once per call, and keeps the counter
 * history that rates need. Every read has a short timeout and a failure only blanks its own numbers.
 */
export class DashboardSampler {
  private readonly rates = {
    collector: new CounterRate(),
    predictions: new CounterRate(),
    eventRows: new CounterRate(),
    predictionRows: new CounterRate(),
  };

  constructor(
    /** Read at every sample: a restarted service has a new pid. */
    private readonly services: readonly SampledService[],
    private readonly clickhouse: ClickHouseClient | undefined,
    private readonly logDir: string,
    private readonly startedAtMs = Date.now(),
  ) {}

  async sample(traffic?: TrafficSummary): Promise<DashboardSnapshot> {
    const [reads, eventRows, predictionRows] = await Promise.all([
      Promise.all(this.services.map((s) => readService(s))),
      this.countRows('events'),
      this.countRows('predictions'),
    ]);
    const now = Date.now();
    const metrics = (name: ServiceName) => reads.find((r) => r.name === name)?.samples;
    const collectorAccepted = sumOf(metrics('collector'), 'telltale_collector_events_accepted_total');
    const predictionsTotal = sumOf(metrics('scorer'), 'telltale_scorer_predictions_total');
    this.rates.collector.add(now, collectorAccepted);
    this.rates.predictions.add(now, predictionsTotal);
    this.rates.eventRows.add(now, eventRows);
    this.rates.predictionRows.add(now, predictionRows);
    return {
      elapsedS: (now - this.startedAtMs) / 1000,
      services: reads.map((r) => ({ name: r.name, healthy: r.healthy })),
      collectorEventsPerS: this.rates.collector.perSecond(),
      collectorAccepted,
      eventRows,
      eventRowsPerS: this.rates.eventRows.perSecond(),
      predictionRows,
      predictionRowsPerS: this.rates.predictionRows.perSecond(),
      modelVersion: maxOf(metrics('trainer'), 'telltale_trainer_model_version'),
      auc: maxOf(metrics('trainer'), 'telltale_trainer_auc'),
      predictionsPerS: this.rates.predictions.perSecond(),
      predictionsTotal,
      // A labelled counter has no sample before its first increment: a service that answered has rejected 0.
      dlq: {
        collector: countOf(metrics('collector'), 'telltale_collector_events_rejected_total', { reason: 'invalid_event' }),
        enricher: countOf(metrics('enricher'), 'telltale_enricher_events_total', { outcome: 'rejected' }),
        sink: countOf(metrics('sink'), 'telltale_sink_rows_rejected_total'),
      },
      traffic,
      logDir: this.logDir,
    };
  }

  private async countRows(table: 'events' | 'predictions'): Promise<number | undefined> {
    if (!this.clickhouse) return undefined;
    try {
      // The table name is one of two constants; nothing user-supplied reaches the SQL.
      const result = await this.clickhouse.query({ query: `SELECT count() AS n FROM ${table}`, format: 'JSONEachRow' });
      const rows = await result.json<{ n: string | number }>();
      return rows[0] === undefined ? undefined : Number(rows[0].n);
    } catch {
      return undefined; // not migrated yet, or ClickHouse busy: show "–"
    }
  }
}

async function readService(s: SampledService): Promise<{ name: ServiceName; healthy: boolean | undefined; samples?: MetricSample[] }> {
  const [health, metrics] = await Promise.all([
    healthOf(s.url, s.pid, 900),
    fetch(`${s.url}/metrics`, { signal: AbortSignal.timeout(900) }).catch(() => undefined),
  ]);
  let samples: MetricSample[] | undefined;
  // A stranger's metrics are not ours to show.
  if (metrics?.ok && health.foreignPid === undefined) samples = parseMetricsText(await metrics.text().catch(() => ''));
  else await metrics?.body?.cancel();
  return { name: s.name, healthy: health.healthy, samples };
}
