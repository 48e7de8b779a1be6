import type { E2eResult, StepResult } from './e2e.bench';
import { BENCH_PROCESS } from './e2e-targets';

/** One `pnpm bench e2e` run of an A/B comparison (e2e-ab.sh): the first is the baseline. */
export interface ComparedRun {
  label: string;
  result: Pick<E2eResult, 'at' | 'steps' | 'machine'>;
}

const ratio = (a: number | null | undefined, b: number | null | undefined) => (a == null || b == null || b === 0 ? '–' : `${(a / b).toFixed(2)}×`);
const num = (v: number | null | undefined) => (v == null ? '–' : Math.round(v).toLocaleString('en-US'));

/** The figures of a step that an A/B compares. */
function figures(s: StepResult) {
  const enricher = Object.entries(s.cpuUsPerEvent?.byProcess ?? {}).find(([n]) => n.startsWith('enricher'))?.[1];
  const kafka = Object.entries(s.cpuUsPerEvent?.byProcess ?? {}).find(([n]) => n.startsWith('kafka'))?.[1];
  const requests = Object.values(s.kafkaRequestsPerS ?? {}).reduce((n, apis) => n + Object.values(apis).reduce((a, b) => a + b, 0), 0);
  return {
    accepted: s.acceptedPerS,
    cpuUs: s.cpuUsPerEvent?.pipeline,
    enricherUs: enricher,
    kafkaUs: kafka,
    predictionP50: s.prediction.consumed.p50Ms,
    predictionP99: s.prediction.consumed.p99Ms,
    queryableP95: s.queryable.p95Ms,
    enricherLag: s.maxLag.enricher,
    kafkaRequests: s.kafkaRequestsPerS ? requests : undefined,
    load: s.load1,
  };
}

/** A markdown table per step: each run's figures, and each run's ratio to the baseline. */
export function renderComparison(baselineRevision: string, runs: ComparedRun[]): string {
  const [baseline] = runs;
  if (!baseline) throw new Error('no runs');
  const lines = [
    `# End to end, A/B (\`pnpm bench:e2e-ab ${baselineRevision}\`)`,
    '',
    `Runs one after the other on the same machine (${String(baseline.result.machine.cores)} cores, Node ${String(baseline.result.machine.node)}), the same steps: ` +
      runs.map((r) => `${r.label} at ${r.result.at} (services on Node ${String(r.result.machine.servicesNode ?? r.result.machine.node)})`).join(', ') +
      `. The baseline is revision ${baselineRevision}. µs/event: CPU of every process \`pnpm start\` runs per accepted event (the bench's own, "${BENCH_PROCESS}", apart). ` +
      'Ratios are each run against the baseline (below 1: less). The load average at the end of each step says how much else the machine was doing.',
    '',
  ];
  const rows: Array<[string, keyof ReturnType<typeof figures>]> = [
    ['accepted events/s', 'accepted'],
    ['CPU µs per event (all processes)', 'cpuUs'],
    ['enricher µs per event', 'enricherUs'],
    ['Kafka broker µs per event', 'kafkaUs'],
    ['Kafka requests/s (all stages)', 'kafkaRequests'],
    ['event → prediction p50, ms', 'predictionP50'],
    ['event → prediction p99, ms', 'predictionP99'],
    ['event → queryable p95, ms', 'queryableP95'],
    ['largest enricher lag, records', 'enricherLag'],
    ['load average (1 min) at the end', 'load'],
  ];
  for (const step of baseline.result.steps) {
    const per = runs.map((r) => r.result.steps.find((s) => s.name === step.name));
    lines.push(`## ${step.name} (${num(step.offeredPerS)} events/s offered)`, '');
    lines.push(`| figure | ${runs.map((r) => r.label).join(' | ')} | ${runs.slice(1).map((r) => `${r.label} / ${baseline.label}`).join(' | ')} |`);
    lines.push(`| --- | ${runs.map(() => '---:').join(' | ')} | ${runs.slice(1).map(() => '---:').join(' | ')} |`);
    for (const [title, key] of rows) {
      const values = per.map((s) => (s ? figures(s)[key] : undefined));
      const shown = values.map((v) => (key === 'load' ? (v == null ? '–' : String(v)) : num(v)));
      lines.push(`| ${title} | ${shown.join(' | ')} | ${values.slice(1).map((v) => (key === 'load' ? '' : ratio(v, values[0]))).join(' | ')} |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}
