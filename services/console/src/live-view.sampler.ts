import type { ClickHouseClient } from '@telltale/clickhouse';
import { parseMetricsText, type Counter, type Histogram, type Logger } from '@telltale/runtime';
import type { MetricsTarget } from './console.config';
import { RateTracker, stageLags, type RatePoint, type StageLag, type TargetReading } from './live-view.metrics';
import {
  liveViewQueries,
  toDeadLetters,
  toFunnel,
  toModelRuns,
  toScoreHistogram,
  toTail,
  type DeadLetterGroup,
  type Funnel,
  type ModelRun,
  type Query,
  type TailPrediction,
} from '@telltale/queries';

/** Everything one refresh of the page shows. null: that source could not be read this time (the page says so). */
export interface LiveSnapshot {
  atMs: number;
  windowMin: number;
  modelName: string;
  /** Whether each service answered /metrics. */
  services: Array<{ name: string; up: boolean }>;
  /** The last 10 minutes of rates and total lag, oldest first; the last point is now. */
  series: RatePoint[];
  lags: StageLag[];
  deadLetters: DeadLetterGroup[] | null;
  funnel: Funnel | null | undefined;
  models: ModelRun[] | null;
  scores: number[] | null;
  tail: TailPrediction[] | null;
  /** Why a source is missing, by source: "clickhouse: funnel", "metrics: sink". */
  errors: Record<string, string>;
}

export interface SamplerMetrics {
  refreshes: Counter<'outcome'>;
  sourceErrors: Counter<'source'>;
  refreshSeconds: Histogram<string>;
}

export interface LiveViewSamplerDeps {
  clickhouse: ClickHouseClient;
  targets: MetricsTarget[];
  refreshMs: number;
  windowMin: number;
  modelName: string;
  /** Left out of the topic names shown. @default '' */
  topicPrefix?: string;
  logger: Logger;
  metrics: SamplerMetrics;
  /** For tests. @default Date.now */
  now?: () => number;
  /** For tests. @default fetch */
  fetch?: typeof fetch;
}

/**
 * One read loop for every open page: each refresh reads the services' /metrics and a handful of small ClickHouse
 * queries, and hands the snapshot to every subscriber. NOTE: N viewers cost ClickHouse the same as one; a page
 * only ever receives snapshots, it never triggers a query.
 */
export class LiveViewSampler {
  private readonly rates: RateTracker;
  private readonly listeners = new Set<(s: LiveSnapshot) => void>();
  private latestSnapshot: LiveSnapshot | undefined;
  private lastRefreshEndMs: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = false;
  private readonly now: () => number;
  private readonly fetch: typeof fetch;

  constructor(private readonly deps: LiveViewSamplerDeps) {
    this.now = deps.now ?? Date.now;
    this.rates = new RateTracker(undefined, undefined, deps.topicPrefix);
    this.fetch = deps.fetch ?? fetch;
  }

  get latest(): LiveSnapshot | undefined {
    return this.latestSnapshot;
  }

  /** Starts the loop; the first refresh runs at once. */
  start(): void {
    this.schedule(0);
  }

  /** Ends the loop after the refresh in flight. Safe to call twice. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    this.listeners.clear();
  }

  subscribe(listener: (s: LiveSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The loop is alive when a refresh ended within five periods (a refresh whose sources all fail still ends). */
  health(): { ok: boolean; detail?: string } {
    if (this.lastRefreshEndMs === undefined) return { ok: true, detail: 'first refresh running' };
    const ageMs = this.now() - this.lastRefreshEndMs;
    const ok = ageMs <= Math.max(5 * this.deps.refreshMs, 15_000);
    const missing = Object.keys(this.latestSnapshot?.errors ?? {});
    return { ok, detail: ok ? (missing.length === 0 ? 'all sources read' : `not read: ${missing.join(', ')}`) : `no refresh for ${Math.round(ageMs / 1000)} s` };
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      const started = this.now();
      this.running = this.refresh().finally(() => {
        this.running = undefined;
        this.schedule(Math.max(0, this.deps.refreshMs - (this.now() - started)));
      });
    }, delayMs);
  }

  /** One read of every source, published to the subscribers. Never rejects: a failing source blanks its part only. */
  async refresh(): Promise<LiveSnapshot> {
    const end = this.deps.metrics.refreshSeconds.startTimer();
    const nowMs = this.now();
    const errors: Record<string, string> = {};
    const { windowMin, modelName } = this.deps;
    const queries = liveViewQueries(nowMs, windowMin, modelName);
    const [readings, deadLetters, funnel, models, scores, tail] = await Promise.all([
      Promise.all(this.deps.targets.map((t) => this.readTarget(t, errors))),
      this.read('dead letters', queries['dead letters'], toDeadLetters, errors),
      this.read('funnel', queries.funnel, toFunnel, errors),
      this.read('models', queries.models, toModelRuns, errors),
      this.read('scores', queries.scores, toScoreHistogram, errors),
      this.read('tail', queries.tail, toTail, errors),
    ]);
    const atMs = this.now();
    this.rates.add(atMs, readings);
    const snapshot: LiveSnapshot = {
      atMs,
      windowMin,
      modelName,
      services: readings.map((r) => ({ name: r.name, up: r.samples !== undefined })),
      series: this.rates.series(),
      lags: stageLags(readings, this.deps.topicPrefix),
      deadLetters,
      funnel,
      models,
      scores,
      tail,
      errors,
    };
    this.latestSnapshot = snapshot;
    this.lastRefreshEndMs = atMs;
    end();
    this.deps.metrics.refreshes.inc({ outcome: Object.keys(errors).length === 0 ? 'complete' : 'partial' });
    for (const listener of this.listeners) listener(snapshot);
    return snapshot;
  }

  private async readTarget(target: MetricsTarget, errors: Record<string, string>): Promise<TargetReading> {
    try {
      const res = await this.fetch(`${target.url}/metrics`, { signal: AbortSignal.timeout(Math.min(this.deps.refreshMs, 2_000)) });
      if (!res.ok) {
        await res.body?.cancel();
        throw new Error(`HTTP ${res.status}`);
      }
      return { name: target.name, samples: parseMetricsText(await res.text()) };
    } catch (err) {
      this.noteError(`metrics: ${target.name}`, err, errors);
      return { name: target.name, samples: undefined };
    }
  }

  private async read<T>(source: string, q: Query, shape: (rows: Array<Record<string, unknown>>) => T, errors: Record<string, string>): Promise<T | null> {
    try {
      const result = await this.deps.clickhouse.query({ ...q, format: 'JSONEachRow' });
      return shape(await result.json<Record<string, unknown>>());
    } catch (err) {
      this.noteError(`clickhouse: ${source}`, err, errors);
      return null;
    }
  }

  private noteError(source: string, err: unknown, errors: Record<string, string>): void {
    const message = err instanceof Error ? err.message : String(err);
    errors[source] = message.split('\n')[0]!.slice(0, 300);
    this.deps.metrics.sourceErrors.inc({ source });
    // debug: a stopped service or a table not migrated yet shows on the page and in the counter, every 2 s
    this.deps.logger.debug({ source, err: errors[source] }, 'live view source not read');
  }
}
