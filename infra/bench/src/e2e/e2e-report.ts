import type { E2eResult, StepResult } from './e2e.bench';
import { BENCH_PROCESS, TARGETS, formatEvents } from './e2e-targets';
import { describeRates } from './kafka-requests';

// The e2e results as a markdown table and an SVG plot of latency against throughput (no plotting dependency).

const fmt = (v: number | null | undefined, unit = '') => (v === null || v === undefined ? '–' : `${Math.round(v).toLocaleString('en-US')}${unit}`);
const secs = (ms: number | null | undefined) => (ms === null || ms === undefined ? '–' : ms >= 10_000 ? `${(ms / 1000).toFixed(0)} s` : ms >= 1_000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`);
const short = (name: string) => name.split(' ')[0]!;

export function renderMarkdown(r: E2eResult, svgFile: string): string {
  const m = r.machine;
  const lines: string[] = [];
  lines.push(`# End-to-end benchmark (\`pnpm bench e2e\`, profile ${r.settings.profile})`, '');
  lines.push(
    `${r.at}; ${m.cores} cores (${m.cpuModel}), ${m.memoryGiB} GiB; ${m.os}; Node ${m.node}; ${m.java}; Kafka ${m.kafka}; ClickHouse ${m.clickhouse}. ` +
      `Load average (1/5/15 min) at start ${(m.loadAverageAtStart as number[]).join(' / ')}, at end ${((m.loadAverageAtEnd as number[] | undefined) ?? []).join(' / ')}. ` +
      `Run took ${Math.round(r.durationS / 60)} min.`,
    '',
  );
  lines.push(
    '## Targets (issue 14)',
    '',
    "Not judged: the run could not say (a step not run, or shorter than the target's duration, as in the quick profile; history skipped). The figures are shown either way.",
    '',
    '| target | measured | verdict |',
    '| --- | --- | --- |',
  );
  for (const t of r.targets) lines.push(`| ${t.target} | ${t.measured} | ${t.met === null ? 'not judged' : t.met ? 'met' : '**not met**'} |`);
  lines.push('');
  lines.push(
    '## Steps',
    '',
    `Each step offers a rate for ${r.settings.stepSeconds} s (${r.settings.batchSize}-event batches, up to ${r.settings.connections} requests in flight), then waits until every acknowledged event is queryable. ` +
      `Queryable: 1 event in ${r.settings.markEvery} is a marker; ClickHouse is polled every 200 ms, and a marker's latency is the start of the first poll that saw it minus events.received_at (the collector's receipt): overstated by up to 200 ms. ` +
      "Prediction: every prediction of the step, from Prediction.receivedAt (the collector's receipt, carried through) to the moment the bench's consumer (read_committed) got it from the predictions topic. " +
      "µs/event: the CPU time of every process `pnpm start` runs over the step's load, divided by the events accepted in it (per process in the next table; the bench's own apart). " +
      "NOTE: the broker's, ClickHouse's and the stages' figures include serving the bench's probes, as they would any subscriber's (one predictions consumer, a marker poll every 200 ms, a /metrics read per stage every 2 s). CPU in cores (mean over the step), RSS max in MiB.",
    '',
  );
  const procNames = [...new Set([...r.steps, ...r.soak].flatMap((s) => Object.keys(s.processes)))];
  lines.push(
    `| step | offered/s | accepted/s | queryable p50 / p95 / p99 | prediction p50 / p99 | drain | max lag enr / sink / scorer | µs/event | ${procNames.map((n) => `${short(n)} CPU / RSS`).join(' | ')} | load |`,
    `| --- | ---: | ---: | --- | --- | ---: | --- | ---: | ${procNames.map(() => '---').join(' | ')} | ---: |`,
  );
  for (const s of [...r.steps, ...r.soak]) lines.push(stepRow(s, procNames));
  if (r.soakRate !== null) lines.push('', `The soak (soak1 …) offered ${fmt(r.soakRate)} events/s: ${r.soakRateWhy}.`);
  lines.push('', '### CPU per accepted event (µs)', '');
  const pipelineNames = procNames.filter((n) => n !== BENCH_PROCESS);
  lines.push(
    `| step | accepted/s | ${pipelineNames.map(short).join(' | ')} | **total** (\`pnpm start\`) | bench (load driver, probes) |`,
    `| --- | ---: | ${pipelineNames.map(() => '---:').join(' | ')} | ---: | ---: |`,
  );
  for (const s of [...r.steps, ...r.soak]) {
    const c = s.cpuUsPerEvent;
    lines.push(
      `| ${s.name} | ${fmt(s.acceptedPerS)} | ${pipelineNames.map((n) => fmt(c?.byProcess[n])).join(' | ')} | **${fmt(c?.pipeline)}** | ${fmt(c?.bench)} |`,
    );
  }
  const requestStages = [...new Set([...r.steps, ...r.soak].flatMap((s) => Object.keys(s.kafkaRequestsPerS ?? {})))];
  if (requestStages.length > 0) {
    lines.push(
      '',
      '### Kafka requests per second, by stage (largest APIs)',
      '',
      "What each stage's Kafka clients sent over the step's load (telltale_kafka_requests_total). The broker's CPU goes mostly per request, not per record.",
      '',
      `| step | ${requestStages.join(' | ')} |`,
      `| --- | ${requestStages.map(() => '---').join(' | ')} |`,
    );
    for (const s of [...r.steps, ...r.soak]) {
      if (!s.kafkaRequestsPerS) continue;
      lines.push(`| ${s.name} | ${requestStages.map((stage) => describeRates(s.kafkaRequestsPerS![stage] ?? {}, 3)).join(' | ')} |`);
    }
  }
  lines.push('', `![latency against throughput](${svgFile})`, '');
  const c = r.ceilings;
  lines.push(
    '## Ceilings (informative: same broker, same ClickHouse, same run, pipeline idle)',
    '',
    '| stage | measured | ceiling | ratio |',
    '| --- | --- | --- | ---: |',
  );
  lines.push(
    `| collector alone (${c.collectorAlone?.connections ?? '–'} connections × ${c.collectorAlone?.eventsPerRequest ?? '–'}-event batches, acks=all) | ${fmt(c.collectorAlone?.eventsPerS)} events/s at ${c.collectorAlone?.collectorCpuCores ?? '–'} cores | ProducerPerformance ${fmt(c.producerPerformance?.recordsPerS)} records/s (${c.recordBytes} B, acks=all, linger 5 ms) at ${c.producerPerformance?.cpuCores ?? '–'} cores | ${r.ratios.collectorVsProducerPerf ?? '–'} |`,
  );
  lines.push(
    `| sink alone (backlog of every topic) | ${fmt(c.sinkAlone?.rowsPerS)} rows/s at ${c.sinkAlone?.sinkCpuCores ?? '–'} cores ${c.sinkAlone ? `(${Object.entries(c.sinkAlone.rowsByTable).map(([t, n]) => `${t} ${fmt(n)}`).join(', ')})` : ''} | direct insert of the same rows in ${c.directInsert?.batchRows ?? '–'}-row batches: ${c.directInsert ? Object.entries(c.directInsert.byFormat).map(([f, n]) => `${f} ${fmt(n)}`).join(', ') : '–'} rows/s | ${r.ratios.sinkVsDirectInsert ?? '–'} |`,
  );
  if (c.sinkAloneSerial) {
    lines.push(`| sink alone, one partition at a time (SINK_PARTITIONS_CONCURRENTLY=1) | ${fmt(c.sinkAloneSerial.rowsPerS)} rows/s at ${c.sinkAloneSerial.sinkCpuCores ?? '–'} cores | same | ${c.directInsert ? (c.sinkAloneSerial.rowsPerS / c.directInsert.rowsPerS).toFixed(2) : '–'} |`);
  }
  lines.push(`| pipeline (best accepted rate) | ${fmt(Math.max(0, ...[...r.steps, ...r.soak].map((s) => s.acceptedPerS)))} events/s | ConsumerPerformance ${fmt(c.consumerPerformance?.recordsPerS)} records/s | ${r.ratios.enricherVsConsumerPerf ?? '–'} |`);
  if (c.errors.length > 0) lines.push('', `Ceiling errors: ${c.errors.join('; ')}`);
  lines.push('', `Peak RSS over the run (MiB): ${Object.entries(r.peakRssMiB).map(([n, v]) => `${short(n)} ${v}`).join(', ')}.`, '');
  lines.push('## History (trainer and live view against the events they read)', '');
  if (r.history) {
    lines.push(
      'Measured last, with the pipeline idle, on the bench stack\'s ClickHouse (infra/bench/src/e2e/history-scaling.ts).',
      '',
      '| events | session feature rows | trainer run | live view |',
      '| ---: | ---: | ---: | ---: |',
    );
    for (const h of r.history.sizes) lines.push(`| ${formatEvents(h.events)} | ${fmt(h.sessionFeatureRows)} | ${secs(h.trainerRunMs)} | ${secs(h.liveViewMs)} |`);
    lines.push('', `Largest over smallest: trainer ${r.history.trainerRatio.toFixed(2)}×, live view ${r.history.liveViewRatio.toFixed(2)}×.`, '');
  } else {
    lines.push(`Not measured: ${r.historyNote ?? 'not run'}.`, '');
  }
  return `${lines.join('\n')}\n`;
}

function stepRow(s: StepResult, procNames: string[]): string {
  const q = s.queryable;
  const p = s.prediction.consumed;
  const lag = (n: string) => fmt(s.maxLag[n]);
  return (
    `| ${s.name}${s.keptUp ? '' : ' ✗'} | ${fmt(s.offeredPerS)} | ${fmt(s.acceptedPerS)} | ${secs(q.p50Ms)} / ${secs(q.p95Ms)} / ${secs(q.p99Ms)}${q.markersMissing > 0 ? ` (${q.markersMissing} missing)` : ''} | ${secs(p.p50Ms)} / ${secs(p.p99Ms)} | ${s.drainS === null ? (s.allQueryable ? '–' : 'not drained') : `${s.drainS} s`} | ${lag('enricher')} / ${lag('sink')} / ${lag('scorer')} | ${fmt(s.cpuUsPerEvent?.pipeline)} | ` +
    `${procNames.map((n) => (s.processes[n] ? `${s.processes[n]!.cpuCores} / ${s.processes[n]!.maxRssMiB}` : '–')).join(' | ')} | ${s.load1} |`
  );
}

export function renderProfiles(r: E2eResult): string {
  const lines = [
    '# CPU profiles (`BENCH_E2E_CPU_PROF=1 pnpm bench e2e`)',
    '',
    `${r.at}, profile ${r.settings.profile}, rates ${r.steps.map((s) => s.offeredPerS).join(', ')} events/s offered; load average at start ${(r.machine.loadAverageAtStart as number[] | undefined)?.join(' / ')}. ` +
      'Each node process profiled from start to exit (node:inspector, 1 ms sampling), so a profile is dominated by its busiest phase; the ceiling runs (collector alone, sink alone) are profiles of their own. ' +
      "Self time; % of the process's busy (not idle) time. `(program)` and `(native)` are V8 and native code (for chdb-server: the chDB engine's calls); line numbers are tsx's output, not the source.",
    '',
  ];
  for (const p of [...r.profiles].sort((a, b) => b.busyS - a.busyS)) {
    lines.push(`## ${p.file.split('/').pop()}${p.label ? ` (${p.label})` : ''} — busy ${p.busyS} s of ${p.durationS} s`, '', '| package | self | % |', '| --- | ---: | ---: |');
    for (const e of p.topPackages.slice(0, 10)) lines.push(`| ${e.name} | ${e.selfMs} ms | ${e.selfPct} |`);
    lines.push('', '| function | self | % |', '| --- | ---: | ---: |');
    for (const e of p.topFunctions) lines.push(`| \`${e.name.replace(/\|/g, '\\|')}\` | ${e.selfMs} ms | ${e.selfPct} |`);
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}

/** Latency (log scale) against accepted events/s, one line per percentile, with the targets drawn in. */
export function renderSvg(r: E2eResult): string {
  const W = 760;
  const H = 440;
  const L = 70;
  const R = 170;
  const T = 40;
  const B = 50;
  const steps = r.steps.filter((s) => s.acceptedPerS > 0);
  const series: Array<{ label: string; color: string; dash?: string; points: Array<[number, number | null]> }> = [
    { label: 'queryable p50', color: '#1f77b4', dash: '4 3', points: steps.map((s) => [s.acceptedPerS, s.queryable.p50Ms]) },
    { label: 'queryable p95', color: '#1f77b4', points: steps.map((s) => [s.acceptedPerS, s.queryable.p95Ms]) },
    { label: 'queryable p99', color: '#0b3c66', points: steps.map((s) => [s.acceptedPerS, s.queryable.p99Ms]) },
    { label: 'prediction p50', color: '#d62728', dash: '4 3', points: steps.map((s) => [s.acceptedPerS, s.prediction.consumed.p50Ms]) },
    { label: 'prediction p99', color: '#d62728', points: steps.map((s) => [s.acceptedPerS, s.prediction.consumed.p99Ms]) },
  ];
  const xMax = Math.max(20_000, ...steps.map((s) => s.acceptedPerS)) * 1.05;
  const values = series.flatMap((s) => s.points.map(([, y]) => y)).filter((y): y is number => y !== null && y > 0);
  const yMin = 1;
  const yMax = Math.max(10_000, ...values) * 1.5;
  const x = (v: number) => L + (v / xMax) * (W - L - R);
  const y = (v: number) => T + (1 - Math.log10(Math.max(yMin, v) / yMin) / Math.log10(yMax / yMin)) * (H - T - B);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${L}" y="22" font-size="14" font-weight="bold">Latency against throughput (${r.machine.cores} cores, ${r.at.slice(0, 10)}, profile ${r.settings.profile})</text>`);
  for (let e = 0; 10 ** e <= yMax; e++) {
    const v = 10 ** e;
    out.push(`<line x1="${L}" x2="${W - R}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`);
    out.push(`<text x="${L - 6}" y="${y(v) + 4}" text-anchor="end">${v >= 1000 ? `${v / 1000} s` : `${v} ms`}</text>`);
  }
  for (let v = 0; v <= xMax; v += 5_000) {
    out.push(`<line x1="${x(v)}" x2="${x(v)}" y1="${T}" y2="${H - B}" stroke="#eee"/>`);
    out.push(`<text x="${x(v)}" y="${H - B + 16}" text-anchor="middle">${v / 1000}k</text>`);
  }
  out.push(`<text x="${(L + W - R) / 2}" y="${H - 10}" text-anchor="middle">accepted events/s (per step)</text>`);
  out.push(`<line x1="${L}" x2="${L}" y1="${T}" y2="${H - B}" stroke="#333"/><line x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}" stroke="#333"/>`);
  // Targets: queryable p95 ≤ 2 s up to the sustained rate; prediction p99 at each of its rates.
  const sustained = TARGETS.sustainedRate;
  out.push(`<line x1="${L}" x2="${x(sustained)}" y1="${y(TARGETS.queryableP95Ms)}" y2="${y(TARGETS.queryableP95Ms)}" stroke="#1f77b4" stroke-width="1" stroke-dasharray="1 3"/>`);
  out.push(`<line x1="${x(sustained)}" x2="${x(sustained)}" y1="${T}" y2="${H - B}" stroke="#999" stroke-dasharray="1 3"/>`);
  out.push(`<text x="${x(sustained) + 4}" y="${y(TARGETS.queryableP95Ms) - 4}" fill="#1f77b4">target: p95 ≤ ${TARGETS.queryableP95Ms / 1000} s at ${sustained / 1000}k/s</text>`);
  for (const t of TARGETS.prediction) {
    out.push(`<circle cx="${x(t.rate)}" cy="${y(t.p99Ms)}" r="4" fill="none" stroke="#d62728"/><text x="${x(t.rate) + 6}" y="${y(t.p99Ms) + 14}" fill="#d62728">p99 ≤ ${t.p99Ms} ms at ${t.rate / 1000}k/s</text>`);
  }
  series.forEach((s, i) => {
    const pts = s.points.filter((p): p is [number, number] => p[1] !== null);
    if (pts.length > 0) {
      out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''} points="${pts.map(([a, b]) => `${x(a).toFixed(1)},${y(b).toFixed(1)}`).join(' ')}"/>`);
      for (const [a, b] of pts) out.push(`<circle cx="${x(a).toFixed(1)}" cy="${y(b).toFixed(1)}" r="2.5" fill="${s.color}"/>`);
    }
    const ly = T + 10 + i * 18;
    out.push(`<line x1="${W - R + 12}" x2="${W - R + 36}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`);
    out.push(`<text x="${W - R + 42}" y="${ly + 4}">${s.label}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
