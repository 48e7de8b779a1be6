import { parseMetricsText } from '@telltale/local-stack';

/**
 * Sum of a metric's samples (every label set) on a service's /metrics; undefined when the service does not answer
 * or does not export the metric (yet).
 */
export async function readMetricSum(baseUrl: string, name: string): Promise<number | undefined> {
  try {
    const res = await fetch(new URL('/metrics', baseUrl), { signal: AbortSignal.timeout(2_000) });
    if (!res.ok) {
      await res.body?.cancel();
      return undefined;
    }
    const series = parseMetricsText(await res.text()).filter((s) => s.name === name && Number.isFinite(s.value));
    return series.length === 0 ? undefined : series.reduce((sum, s) => sum + s.value, 0);
  } catch {
    return undefined;
  }
}
