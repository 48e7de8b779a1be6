import { parseMetricsText } from '@telltale/local-stack';

/** The stages whose Kafka clients count their requests (telltale_kafka_requests_total{api}). */
export const REQUESTING_STAGES = ['collector', 'enricher', 'scorer', 'sink', 'trainer'] as const;
export type RequestingStage = (typeof REQUESTING_STAGES)[number];

/** Requests sent so far, per stage and API. */
export type RequestCounts = Record<string, Record<string, number>>;

/**
 * Reads every stage's request counters. NOTE: what the broker spends is mostly per request (about 1 ms of CPU each on
 * this machine, measured), so requests per second by stage and API say where the broker's share of the CPU goes.
 */
export async function readRequestCounts(urlOf: (stage: RequestingStage) => string): Promise<RequestCounts> {
  const out: RequestCounts = {};
  await Promise.all(
    REQUESTING_STAGES.map(async (stage) => {
      try {
        const res = await fetch(new URL('/metrics', urlOf(stage)), { signal: AbortSignal.timeout(2_000) });
        const text = await res.text();
        const byApi: Record<string, number> = {};
        for (const s of parseMetricsText(text)) if (s.name === 'telltale_kafka_requests_total') byApi[s.labels.api ?? '?'] = (byApi[s.labels.api ?? '?'] ?? 0) + s.value;
        out[stage] = byApi;
      } catch {
        // A stage that does not answer counts nothing for the step.
      }
    }),
  );
  return out;
}

/** Requests per second per stage and API between two readings. */
export function requestRates(before: RequestCounts, after: RequestCounts, seconds: number): RequestCounts {
  const out: RequestCounts = {};
  for (const [stage, apis] of Object.entries(after)) {
    const earlier = before[stage];
    if (!earlier) continue;
    const rates: Record<string, number> = {};
    for (const [api, n] of Object.entries(apis)) {
      const rate = (n - (earlier[api] ?? 0)) / seconds;
      if (rate > 0) rates[api] = Math.round(rate * 10) / 10;
    }
    out[stage] = rates;
  }
  return out;
}

/** "enricher 120/s (Fetch 40, Produce 30, …)": a stage's total and its largest APIs. */
export function describeRates(rates: Record<string, number>, top = 4): string {
  const entries = Object.entries(rates).sort((a, b) => b[1] - a[1]);
  const total = entries.reduce((n, [, r]) => n + r, 0);
  if (total === 0) return '0';
  return `${Math.round(total)} (${entries
    .slice(0, top)
    .map(([api, r]) => `${api} ${Math.round(r)}`)
    .join(', ')})`;
}
