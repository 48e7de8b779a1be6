import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '@telltale/local-stack';
import {
  CANDIDATE_INPUTS,
  RAW_FEATURE_TRANSFORM,
  calibrationByDecile,
  compileModel,
  evaluate,
  fitLogisticReference,
  fitMatrixStandardization,
  fitOnRows,
  inputMatrix,
  labelsOf,
  scoreRows,
  splitTrainingSet,
  standardizeMatrix,
  trainingSetFromCsv,
  type CalibrationBucket,
  type Evaluation,
  type FitOptions,
  type LinearModel,
  type TrainingSet,
  type TrainingSplit,
} from '@telltale/model';
import { ML_DIR, ensureTrainingRows } from './ml-data';
import { RAW_FEATURES, REFERENCE_SETTINGS } from './ml-reference';

// The ML scenario of `pnpm bench`: the trainer's own rows, the project's learner next to scikit-learn's
// LogisticRegression and HistGradientBoostingClassifier on the same split, and the project's fit time at 100k and
// 1M rows next to the learner it replaced.

/** The trainer's defaults (services/trainer/src/trainer.config.ts). */
const SPLIT = { testFraction: 0.25, holdoutFraction: 0.2, seed: 'telltale' };
const VENV = path.join(REPO_ROOT, '.local', 'bench', 'venv');
const SCRIPTS = path.join(__dirname, 'ml');

interface Measured {
  label: string;
  fitS: number;
  test: Pick<Evaluation, 'auc' | 'logLoss' | 'ece'>;
  holdout: Pick<Evaluation, 'auc' | 'logLoss' | 'ece'>;
}

interface FitTime {
  learner: string;
  rows: number;
  inputs: number;
  fitMs: number;
  iterations?: number;
  steps?: number;
  setMb: number;
  maxRssMb: number;
}

const log = (line: string) => console.log(line);
const pick = ({ auc, logLoss, ece }: Evaluation) => ({ auc, logLoss, ece });

function run(command: string, args: string[], what: string): string {
  const result = spawnSync(command, args, { cwd: REPO_ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`${what} failed (${result.status ?? result.signal}): ${result.stderr}`);
  return result.stdout;
}

/** A venv under .local with the pinned scikit-learn, made once. */
function ensurePython(): string {
  const python = path.join(VENV, 'bin', 'python');
  const stamp = path.join(VENV, 'requirements.txt');
  const requirements = readFileSync(path.join(SCRIPTS, 'requirements.txt'), 'utf8');
  if (existsSync(python) && existsSync(stamp) && readFileSync(stamp, 'utf8') === requirements) return python;
  log(`python: installing ${requirements.split('\n').filter((l) => l && !l.startsWith('#')).join(', ')} into ${path.relative(REPO_ROOT, VENV)}`);
  run('python3', ['-m', 'venv', VENV], 'python3 -m venv');
  run(python, ['-m', 'pip', 'install', '--quiet', '-r', path.join(SCRIPTS, 'requirements.txt')], 'pip install');
  writeFileSync(stamp, requirements);
  return python;
}

function measureProject(set: TrainingSet, split: TrainingSplit, label: string, opts: FitOptions): { measured: Measured; model: LinearModel; dropped: string[] } {
  const fitted = fitOnRows(set, split.train, opts);
  return {
    measured: {
      label,
      fitS: fitted.fit.ms / 1000,
      test: pick(evaluate(labelsOf(set, split.test), scoreRows(fitted.model, set, split.test))),
      holdout: pick(evaluate(labelsOf(set, split.holdout), scoreRows(fitted.model, set, split.holdout))),
    },
    model: fitted.model,
    dropped: fitted.dropped.map((d) => `${d.name} (${d.reason})`),
  };
}

/** The old trainer's learner: ml-logistic-regression's gradient descent, 200 steps, on the 13 session features. */
function measureReference(set: TrainingSet, split: TrainingSplit): Measured {
  const started = Date.now();
  const x = inputMatrix(set, split.train, RAW_FEATURES, RAW_FEATURE_TRANSFORM);
  const standardization = fitMatrixStandardization(x, split.train.length, RAW_FEATURES.length);
  standardizeMatrix(x, split.train.length, RAW_FEATURES.length, standardization);
  const fit = fitLogisticReference(x, split.train.length, RAW_FEATURES.length, labelsOf(set, split.train), REFERENCE_SETTINGS);
  const fitS = (Date.now() - started) / 1000;
  const model: LinearModel = { featureTransform: RAW_FEATURE_TRANSFORM, featureNames: RAW_FEATURES, ...standardization, weights: Array.from(fit.weights), intercept: fit.intercept };
  return {
    label: `ml-logistic-regression (the old trainer: gradient descent, ${REFERENCE_SETTINGS.steps} steps, lr ${REFERENCE_SETTINGS.learningRate}), the 13 session features`,
    fitS,
    test: pick(evaluate(labelsOf(set, split.test), scoreRows(model, set, split.test))),
    holdout: pick(evaluate(labelsOf(set, split.holdout), scoreRows(model, set, split.holdout))),
  };
}

/** What the scikit-learn script reads: the same rows, split and inputs, as raw little-endian arrays. */
function writeArrays(dir: string, set: TrainingSet, split: TrainingSplit, inputNames: string[], project: LinearModel): void {
  const all = Int32Array.from({ length: set.rows }, (_, i) => i);
  const side = new Uint8Array(set.rows);
  for (const i of split.test) side[i] = 1;
  for (const i of split.holdout) side[i] = 2;
  const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  writeFileSync(path.join(dir, 'raw.f64'), bytes(inputMatrix(set, all, RAW_FEATURES, RAW_FEATURE_TRANSFORM)));
  writeFileSync(path.join(dir, 'inputs.f64'), bytes(inputMatrix(set, all, inputNames, project.featureTransform)));
  writeFileSync(path.join(dir, 'labels.u8'), bytes(set.labels));
  writeFileSync(path.join(dir, 'split.u8'), bytes(side));
  writeFileSync(path.join(dir, 'sessions.i32'), bytes(set.sessionCodes));
  writeFileSync(path.join(dir, 'project-test.f64'), bytes(scoreRows(project, set, split.test)));
  writeFileSync(path.join(dir, 'project-holdout.f64'), bytes(scoreRows(project, set, split.holdout)));
  writeFileSync(path.join(dir, 'meta.json'), JSON.stringify({ rows: set.rows, rawNames: RAW_FEATURES, inputNames }));
}

function fitTime(csv: string, rows: number, learner: 'newton' | 'reference'): FitTime {
  const out = run(process.execPath, ['--import', 'tsx', path.join(__dirname, 'ml-fit-time.main.ts'), csv, String(rows), learner], `fit time ${learner} ${rows}`);
  return JSON.parse(out.trim().split('\n').pop()!) as FitTime;
}

/**
 * How far a model's scores move when only the clock moves: the mean change in log-odds of the holdout vectors with
 * their hour of day shifted by `hours` (the measurement of a model that learned hour-of-day from hours of data).
 */
function clockShift(model: LinearModel, set: TrainingSet, rows: Int32Array, hours: number): number {
  const scorer = compileModel(model);
  const sin = set.featureNames.indexOf('hour_sin');
  const cos = set.featureNames.indexOf('hour_cos');
  let total = 0;
  for (const i of rows) {
    const features = Object.fromEntries(set.featureNames.map((name, f) => [name, set.features[f]![i]!]));
    const source = { eventKind: set.eventKinds[set.eventKindCodes[i]!]!, features };
    const before = scorer.logOdds(source);
    const angle = Math.atan2(set.features[sin]![i]!, set.features[cos]![i]!) + (2 * Math.PI * hours) / 24;
    const after = scorer.logOdds({ ...source, features: { ...features, hour_sin: Math.sin(angle), hour_cos: Math.cos(angle) } });
    total += after - before;
  }
  return total / rows.length;
}

const f3 = (x: number) => x.toFixed(3);
const f4 = (x: number) => x.toFixed(4);
const seconds = (s: number) => (s < 10 ? s.toFixed(2) : s.toFixed(1));

export async function benchMl() {
  log('\n## ML: the trainer’s rows, the project’s learner next to scikit-learn on the same split');
  const csv = await ensureTrainingRows(log);
  mkdirSync(ML_DIR, { recursive: true });
  const set = trainingSetFromCsv(readFileSync(csv, 'utf8'));
  const split = splitTrainingSet(set, SPLIT);
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const t of set.eventTimeMs) [first, last] = [Math.min(first, t), Math.max(last, t)];
  const data = {
    rows: set.rows,
    sessions: set.sessionIds.length,
    spanMinutes: (last - first) / 60_000,
    positiveRate: set.labels.reduce((a, b) => a + b, 0) / set.rows,
    trainRows: split.train.length,
    testRows: split.test.length,
    holdoutRows: split.holdout.length,
  };
  log(`data: ${data.rows} rows, ${data.sessions} sessions over ${data.spanMinutes.toFixed(0)} min, positive rate ${f3(data.positiveRate)}; split by the trainer's rules: train ${data.trainRows}, test ${data.testRows} (older sessions by hash), holdout ${data.holdoutRows} (newest ${SPLIT.holdoutFraction * 100} % of sessions)`);

  const project = measureProject(set, split, 'project: Newton, the shared inputs (the trainer’s default)', {});
  log(`project inputs (${project.model.featureNames.length}): ${project.model.featureNames.join(', ')}; left out: ${project.dropped.join(', ')}`);
  const withoutKind = CANDIDATE_INPUTS.filter((n) => !n.startsWith('event_kind_'));
  const withoutLog = CANDIDATE_INPUTS.filter((n) => !n.startsWith('log1p_'));
  const variants = {
    project_raw: measureProject(set, split, 'project: Newton, the 13 session features', { candidates: RAW_FEATURES, timeFeatures: 'always' }),
    project_no_kind: measureProject(set, split, 'project: Newton, shared inputs without the event kind', { candidates: withoutKind }),
    project_no_log: measureProject(set, split, 'project: Newton, shared inputs without log1p', { candidates: withoutLog }),
    project_time: measureProject(set, split, 'project: Newton, shared inputs + hour/weekend (not gated)', { timeFeatures: 'always' }),
  };
  log('fitting the old learner (ml-logistic-regression, 200 steps) on the training split…');
  const reference = measureReference(set, split);

  writeArrays(ML_DIR, set, split, project.model.featureNames, project.model);
  const python = ensurePython();
  log('fitting scikit-learn’s models…');
  const sklearn = JSON.parse(run(python, [path.join(SCRIPTS, 'sklearn_baselines.py'), ML_DIR], 'scikit-learn baselines')) as {
    sklearnVersion: string;
    numpyVersion: string;
    models: Record<string, Measured>;
    projectAucMinus: Record<string, Record<'test' | 'holdout', { difference: number; low: number; high: number }>>;
  };

  log('timing fits in fresh processes (peak memory each)…');
  const fitTimes = [fitTime(csv, 100_000, 'reference'), fitTime(csv, 100_000, 'newton'), fitTime(csv, 1_000_000, 'newton')];

  const calibration: CalibrationBucket[] = calibrationByDecile(labelsOf(set, split.holdout), scoreRows(project.model, set, split.holdout));
  const drift = { plus6h: clockShift(variants.project_time.model, set, split.holdout, 6), plus12h: clockShift(variants.project_time.model, set, split.holdout, 12) };

  const models: Record<string, Measured> = {
    project: project.measured,
    ...Object.fromEntries(Object.entries(variants).map(([k, v]) => [k, v.measured])),
    reference,
    ...sklearn.models,
  };
  const table = [
    '| model, same rows and split | test AUC | test log loss | test ECE | holdout AUC | holdout log loss | holdout ECE | fit time |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...['project', 'sklearn_lr_inputs', 'sklearn_hgb_inputs', 'project_raw', 'sklearn_lr_raw', 'sklearn_hgb_raw', 'reference', 'project_no_log', 'project_no_kind', 'project_time'].map((key) => {
      const m = models[key]!;
      return `| ${m.label} | ${f4(m.test.auc)} | ${f4(m.test.logLoss)} | ${f3(m.test.ece)} | ${f4(m.holdout.auc)} | ${f4(m.holdout.logLoss)} | ${f3(m.holdout.ece)} | ${seconds(m.fitS)} s |`;
    }),
  ];
  const [ref100k, newton100k, newton1m] = fitTimes as [FitTime, FitTime, FitTime];
  const speed = [
    '| fit (fresh process, rows drawn from the export) | rows × inputs | fit time | peak RSS |',
    '| --- | --- | --- | --- |',
    `| ml-logistic-regression, ${REFERENCE_SETTINGS.steps} steps, one classifier (the old trainer ran two) | ${ref100k.rows} × ${ref100k.inputs} | ${seconds(ref100k.fitMs / 1000)} s | ${ref100k.maxRssMb.toFixed(0)} MB |`,
    `| project, Newton (${newton100k.iterations} steps) | ${newton100k.rows} × ${newton100k.inputs} | ${seconds(newton100k.fitMs / 1000)} s (${(ref100k.fitMs / newton100k.fitMs).toFixed(0)}× faster) | ${newton100k.maxRssMb.toFixed(0)} MB |`,
    `| project, Newton (${newton1m.iterations} steps) | ${newton1m.rows} × ${newton1m.inputs} | ${seconds(newton1m.fitMs / 1000)} s | ${newton1m.maxRssMb.toFixed(0)} MB (training set ${newton1m.setMb.toFixed(0)} MB) |`,
  ];
  const gap = (key: string) => {
    const d = sklearn.projectAucMinus[key]!;
    return `${models[key]!.label}: test ${d.test.difference >= 0 ? '+' : ''}${f4(d.test.difference)} (95 % CI ${f4(d.test.low)} to ${f4(d.test.high)}), holdout ${d.holdout.difference >= 0 ? '+' : ''}${f4(d.holdout.difference)} (${f4(d.holdout.low)} to ${f4(d.holdout.high)})`;
  };
  const gaps = ['sklearn_lr_raw', 'sklearn_lr_inputs', 'sklearn_hgb_inputs', 'sklearn_hgb_raw'].map((k) => `- project AUC minus ${gap(k)}`);
  const deciles = [
    '| decile | up to p | rows | mean predicted | observed rate |',
    '| --- | --- | --- | --- | --- |',
    ...calibration.map((b, i) => `| ${i + 1} | ${f3(b.upTo)} | ${b.rows} | ${f3(b.meanPredicted)} | ${f3(b.observedRate)} |`),
  ];
  const markdown = [
    `Data: ${data.rows} labelled rows, ${data.sessions} sessions over ${data.spanMinutes.toFixed(0)} minutes of \`pnpm start\` traffic, exported with the trainer's query (positive rate ${f3(data.positiveRate)}). Split by the trainer's rules: train ${data.trainRows} rows; test ${data.testRows} rows (older sessions, by a hash of the session id); holdout ${data.holdoutRows} rows (the newest ${SPLIT.holdoutFraction * 100} % of sessions). scikit-learn ${sklearn.sklearnVersion}, numpy ${sklearn.numpyVersion}.`,
    '',
    ...table,
    '',
    ...gaps,
    '',
    ...speed,
    '',
    'Calibration of the project model by decile of its prediction, time-based holdout:',
    '',
    ...deciles,
    '',
    `Hour inputs learned from ${data.spanMinutes.toFixed(0)} minutes of data (not gated): the same vectors' log-odds move by ${drift.plus6h >= 0 ? '+' : ''}${drift.plus6h.toFixed(2)} when the clock moves 6 h and ${drift.plus12h >= 0 ? '+' : ''}${drift.plus12h.toFixed(2)} at 12 h; gated (the default) they are left out and scores do not move with the clock.`,
  ].join('\n');
  log(`\n${markdown}\n`);

  const result = { at: new Date().toISOString(), data, inputs: project.model.featureNames, leftOut: project.dropped, models, projectAucMinus: sklearn.projectAucMinus, fitTimes, calibration, clockShift: drift, versions: { sklearn: sklearn.sklearnVersion, numpy: sklearn.numpyVersion } };
  const resultsDir = path.join(REPO_ROOT, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(path.join(resultsDir, 'ml.json'), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(path.join(resultsDir, 'ml.md'), `# ML bench (\`pnpm bench\`, ${result.at.slice(0, 10)}, 2-core machine)\n\n${markdown}\n`);
  log(`results written to bench/results/ml.json and bench/results/ml.md`);
  return result;
}
