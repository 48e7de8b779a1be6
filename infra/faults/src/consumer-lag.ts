import { readMetricSum } from './service-metrics';

export const LAG_METRIC = 'telltale_kafka_consumer_lag';

export interface LagSample {
  atMs: number;
  service: string;
  /** Sum of the service's consumer lag over every topic and partition it reads. */
  lag: number;
}

export interface LagTarget {
  service: string;
  /** The service's admin base URL (its /metrics). */
  url: string;
}

/**
 * Reads `telltale_kafka_consumer_lag` from the consumers' /metrics in the background, so a scenario can ask for the
 * largest backlog seen in any time window (e.g. while ClickHouse was stopped). A service that does not answer (it is
 * being restarted) simply has no sample for that moment.
 */
export class ConsumerLagSampler {
  private readonly samples: LagSample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private sampling = false;

  constructor(
    private readonly targets: () => LagTarget[],
    private readonly intervalMs = 500,
  ) {}

  start(): this {
    this.timer ??= setInterval(() => void this.sampleOnce(), this.intervalMs);
    return this;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Largest lag of `service` sampled within [fromMs, toMs]; null when there was no sample. */
  max(service: string, fromMs = 0, toMs = Infinity): number | null {
    let max: number | null = null;
    for (const s of this.samples) {
      if (s.service === service && s.atMs >= fromMs && s.atMs <= toMs) max = Math.max(max ?? 0, s.lag);
    }
    return max;
  }

  /** max() for every service sampled in the window. */
  maxByService(fromMs = 0, toMs = Infinity): Record<string, number> {
    const out: Record<string, number> = {};
    for (const s of this.samples) {
      if (s.atMs >= fromMs && s.atMs <= toMs) out[s.service] = Math.max(out[s.service] ?? 0, s.lag);
    }
    return out;
  }

  async sampleOnce(): Promise<void> {
    if (this.sampling) return; // the previous round is still waiting for a slow service
    this.sampling = true;
    try {
      let targets: LagTarget[] = [];
      try {
        targets = this.targets();
      } catch {
        return; // stack.json unreadable for a moment: try next round
      }
      await Promise.all(
        targets.map(async ({ service, url }) => {
          const lag = await readMetricSum(url, LAG_METRIC);
          if (lag !== undefined) this.samples.push({ atMs: Date.now(), service, lag });
        }),
      );
    } finally {
      this.sampling = false;
    }
  }
}
