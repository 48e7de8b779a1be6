import { parseArgs } from 'node:util';
import { clickhouseEnv, createClickHouseClient, settingsFromEnv } from '@telltale/clickhouse';
import {
  Analytics,
  QueryInputError,
  type ActiveResult,
  type CalibrationResult,
  type FunnelResult,
  type PersonResult,
  type PredictionAnswer,
  type RetentionResult,
  type TopResult,
} from '@telltale/queries';
import { loadConfig } from '@telltale/runtime';
import { percent, renderTable } from './table';

export const USAGE = `usage: pnpm telltale query <question> [options] [--json]

questions:
  funnel       [--steps page_view,add_to_cart,purchase] [--window 3600] [--by source|device_type|referrer_class|campaign]
  retention    [--unit day|week] [--periods 8]
  active       [--unit day|week|month]
  top          <events|pages|referrers|campaigns> [--limit 10]
  person       <userId or anonymousId> [--events 50] [--sessions 20]
  prediction   <userId or anonymousId>
  calibration  [--model purchase_propensity]

every question: --from and --to (now, an ISO date or date-time in UTC, or a time ago: 30m, 24h, 7d, 2w), --json
ClickHouse: CLICKHOUSE_URL (else 127.0.0.1:8123 plus TELLTALE_PORT_OFFSET), CLICKHOUSE_DATABASE; read only (readonly=1).
A funnel step is an event kind, or event:<name> for an event name ("event:Order Completed").`;

const OPTIONS = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  from: { type: 'string' },
  to: { type: 'string' },
  steps: { type: 'string' },
  window: { type: 'string' },
  by: { type: 'string' },
  unit: { type: 'string' },
  periods: { type: 'string' },
  limit: { type: 'string' },
  events: { type: 'string' },
  sessions: { type: 'string' },
  model: { type: 'string' },
} as const;

/** What a run printed and how it ended: 0 answered, 1 not found or ClickHouse failed, 2 a usage or input error. */
export interface CliResult {
  code: number;
  out: string;
}

const QUESTIONS = ['funnel', 'retention', 'active', 'top', 'person', 'prediction', 'calibration'] as const;
type Question = (typeof QUESTIONS)[number];

/** Runs one command line (without `node script`) against `analytics`. */
export async function runCli(argv: string[], analytics: () => Analytics): Promise<CliResult> {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true }>>;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    return { code: 2, out: `${(err as Error).message}\n\n${USAGE}` };
  }
  const { values, positionals } = parsed;
  const [command, question, subject, ...extra] = positionals;
  if (values.help || command === undefined) return { code: values.help ? 0 : 2, out: USAGE };
  if (command !== 'query' || !QUESTIONS.includes(question as Question)) return { code: 2, out: `unknown command: ${positionals.slice(0, 2).join(' ')}\n\n${USAGE}` };
  if (extra.length > 0) return { code: 2, out: `unexpected arguments: ${extra.join(' ')}\n\n${USAGE}` };
  const needsSubject = question === 'top' || question === 'person' || question === 'prediction';
  if (needsSubject && subject === undefined) return { code: 2, out: `${question} needs ${question === 'top' ? 'a subject (events, pages, referrers, campaigns)' : 'a userId or anonymousId'}\n\n${USAGE}` };
  if (!needsSubject && subject !== undefined) return { code: 2, out: `unexpected argument: ${subject}\n\n${USAGE}` };

  // Only the options given: the package's defaults apply to the rest.
  const given = Object.fromEntries(Object.entries(values).filter(([k, v]) => k !== 'json' && k !== 'help' && v !== undefined));
  const a = analytics();
  try {
    const render = (result: unknown, table: () => string) => ({ code: 0, out: values.json ? JSON.stringify(result, null, 2) : table() });
    switch (question as Question) {
      case 'funnel': {
        const r = await a.funnel(given);
        return render(r, () => funnelTable(r));
      }
      case 'retention': {
        const r = await a.retention(given);
        return render(r, () => retentionTable(r));
      }
      case 'active': {
        const r = await a.active(given);
        return render(r, () => activeTable(r));
      }
      case 'top': {
        const r = await a.top({ ...given, subject: subject as never });
        return render(r, () => topTable(r));
      }
      case 'calibration': {
        const r = await a.calibration(given);
        return render(r, () => calibrationTable(r));
      }
      case 'person': {
        const r = await a.person({ ...given, id: subject! });
        if (r === null) return { code: 1, out: `no event of ${subject} is known` };
        return render(r, () => personText(r));
      }
      case 'prediction': {
        const r = await a.prediction(subject!);
        if (r === null) return { code: 1, out: `no prediction for ${subject}` };
        return render(r, () => predictionText(r));
      }
    }
  } catch (err) {
    if (err instanceof QueryInputError) return { code: 2, out: `--${err.field}: ${err.reason}` };
    return { code: 1, out: `ClickHouse did not answer: ${(err as Error).message}` };
  }
}

function funnelTable(f: FunnelResult): string {
  const head = `funnel ${f.steps.join(' → ')}, within ${f.windowSeconds} s, ${f.from} – ${f.to}`;
  const groups = [{ label: 'all', g: f.overall }, ...(f.by?.groups ?? []).map((g) => ({ label: `${f.by!.dimension}=${g.value || '(none)'}`, g }))];
  const rows = groups.flatMap(({ label, g }) => [
    [label, 'sessions', g.sessions, null, null],
    ...g.steps.map((s, i) => ['', s.step, s.count, percent(s.conversion), percent(g.steps.slice(0, i + 1).reduce((p, x) => p * x.conversion, 1))]),
  ]);
  return `${head}\n\n${renderTable(['group', 'step', 'count', 'P(step | previous)', 'chain'], rows as Array<Array<string | number | null>>)}\n\nconversion (the chain's product): ${percent(f.overall.conversion)}`;
}

function retentionTable(r: RetentionResult): string {
  const header = ['cohort', 'people', ...Array.from({ length: r.periods + 1 }, (_, k) => `${r.unit} ${k}`)];
  return renderTable(header, r.cohorts.map((c) => [c.cohort, c.people, ...c.active.map((n, k) => (n === null ? null : `${n} (${percent(c.rates[k] ?? null)})`))]));
}

function activeTable(r: ActiveResult): string {
  return renderTable([r.unit, 'active persons'], r.periods.map((p) => [p.period, p.people]));
}

function topTable(r: TopResult): string {
  return renderTable([r.subject.replace(/s$/, ''), 'events', 'sessions', 'users'], r.rows.map((x) => [x.value, x.events, x.sessions, x.users]));
}

function calibrationTable(r: CalibrationResult): string {
  const bucket = renderTable(['score', 'predictions', 'mean predicted', 'observed'], r.byBucket.map((b) => [`${b.scoreFrom.toFixed(1)}–${b.scoreTo.toFixed(1)}`, b.predictions, b.meanPredicted, b.observedRate]));
  const day = renderTable(['day', 'predictions', 'mean predicted', 'observed'], r.byDay.map((d) => [d.day, d.predictions, d.meanPredicted, d.observedRate]));
  return `model ${r.model}, by score bucket:\n${bucket}\n\nby day:\n${day}`;
}

function predictionText(p: PredictionAnswer): string {
  const lines = [
    `P(purchase) ${p.probability.toFixed(4)} for ${p.person} (key ${p.userKey}), model ${p.modelName} v${p.modelVersion}, computed ${p.predictedAt} for the event of ${p.eventTime}`,
  ];
  if (p.explanation) {
    lines.push(`why: average visitor's log-odds ${p.explanation.intercept.toFixed(3)}, this one's ${p.explanation.logit.toFixed(3)}; moved most by`);
    lines.push(renderTable(['input', 'value', 'contribution'], p.explanation.top.map((c) => [c.input, c.value, `${c.contribution >= 0 ? '+' : ''}${c.contribution.toFixed(3)}`])));
  } else {
    lines.push('why: unknown (the scored feature vector or the model is no longer in ClickHouse)');
  }
  return lines.join('\n');
}

function personText(p: PersonResult): string {
  const out = [
    `person ${p.person}${p.userId ? ` (userId ${p.userId})` : ' (anonymous)'}; anonymous ids: ${p.anonymousIds.join(', ') || 'none'}`,
    `seen ${p.profile.firstSeen} – ${p.profile.lastSeen}: ${p.profile.events} events, ${p.profile.sessions} sessions, ${p.profile.purchases} purchases, revenue ${p.profile.revenue}`,
    '',
    'traits:',
    Object.keys(p.traits).length === 0 ? '  none' : renderTable(['trait', 'value', 'set at'], Object.entries(p.traits).map(([k, t]) => [k, JSON.stringify(t.value), t.setAt])),
    '',
    'sessions:',
    renderTable(['session', 'started', 'events', 'purchases', 'device', 'source'], p.sessions.map((s) => [s.sessionId, s.startedAt, s.events, s.purchases, s.deviceType, s.source])),
    '',
    'latest events:',
    renderTable(['time', 'event', 'kind', 'session', 'page'], p.events.map((e) => [e.eventTime, e.event, e.kind, e.sessionId, e.pagePath])),
    '',
    p.prediction ? predictionText(p.prediction) : 'no prediction yet',
  ];
  return out.join('\n');
}

/** ClickHouse settings from env; without CLICKHOUSE_URL, the local stack's (port 8123 plus TELLTALE_PORT_OFFSET). */
export function cliClickHouseSettings(env: NodeJS.ProcessEnv) {
  const offset = Number(env.TELLTALE_PORT_OFFSET || 0);
  const url = env.CLICKHOUSE_URL || `http://127.0.0.1:${8123 + (Number.isInteger(offset) ? offset : 0)}`;
  return settingsFromEnv(loadConfig(clickhouseEnv, { ...env, CLICKHOUSE_URL: url }));
}

async function main(): Promise<number> {
  let client: ReturnType<typeof createClickHouseClient> | undefined;
  const result = await runCli(process.argv.slice(2), () => {
    // Read-only by setting: ClickHouse refuses anything but reads on this connection.
    client = createClickHouseClient({ ...cliClickHouseSettings(process.env), requestTimeoutMs: 60_000 }, { readOnly: 'setting' });
    return new Analytics(client);
  });
  await client?.close();
  (result.code === 0 ? process.stdout : process.stderr).write(`${result.out}\n`);
  return result.code;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`telltale: ${(err as Error).message}\n`);
      process.exit(1);
    },
  );
}
