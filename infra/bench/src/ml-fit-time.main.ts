// One fit, timed, in a process of its own so that its peak memory is its own: `node --import tsx ml-fit-time.main.ts
// <training-rows.csv> <rows> <newton|reference>`. Prints one JSON line. Rows are drawn with replacement from the file
// (a million from a few hundred thousand): the fit's cost depends on the row and input counts, not on their origin.
import { readFileSync } from 'node:fs';
import {
  fitLogisticReference,
  fitMatrixStandardization,
  fitOnRows,
  inputMatrix,
  labelsOf,
  RAW_FEATURE_TRANSFORM,
  standardizeMatrix,
  trainingSetFromCsv,
  type TrainingSet,
} from '@telltale/model';
import { seededRandom } from '@telltale/testing';
import { RAW_FEATURES, REFERENCE_SETTINGS } from './ml-reference';

function resample(set: TrainingSet, rows: number, seed: number): TrainingSet {
  const random = seededRandom(seed);
  const pick = Int32Array.from({ length: rows }, () => Math.floor(random() * set.rows));
  return {
    ...set,
    rows,
    features: set.features.map((column) => Float64Array.from(pick, (i) => column[i]!)),
    eventKindCodes: Uint16Array.from(pick, (i) => set.eventKindCodes[i]!),
    sessionCodes: Int32Array.from(pick, (i) => set.sessionCodes[i]!),
    eventTimeMs: Float64Array.from(pick, (i) => set.eventTimeMs[i]!),
    labels: Uint8Array.from(pick, (i) => set.labels[i]!),
  };
}

function main(): void {
  const [csv, rowsArg, learner] = process.argv.slice(2);
  if (!csv || !rowsArg || (learner !== 'newton' && learner !== 'reference')) {
    throw new Error('usage: ml-fit-time.main.ts <training-rows.csv> <rows> <newton|reference>');
  }
  const set = resample(trainingSetFromCsv(readFileSync(csv, 'utf8')), Number(rowsArg), 7);
  const all = Int32Array.from({ length: set.rows }, (_, i) => i);
  const setMb = (set.features.length * 8 + 2 + 4 + 8 + 1) * set.rows / 1e6;
  if (learner === 'newton') {
    const fitted = fitOnRows(set, all);
    const out = { learner, rows: set.rows, inputs: fitted.model.featureNames.length, fitMs: fitted.fit.ms, iterations: fitted.fit.iterations, converged: fitted.fit.converged };
    process.stdout.write(`${JSON.stringify({ ...out, setMb, maxRssMb: process.resourceUsage().maxRSS / 1024 })}\n`);
    return;
  }
  const started = Date.now();
  const x = inputMatrix(set, all, RAW_FEATURES, RAW_FEATURE_TRANSFORM);
  standardizeMatrix(x, set.rows, RAW_FEATURES.length, fitMatrixStandardization(x, set.rows, RAW_FEATURES.length));
  fitLogisticReference(x, set.rows, RAW_FEATURES.length, labelsOf(set, all), REFERENCE_SETTINGS);
  const out = { learner, rows: set.rows, inputs: RAW_FEATURES.length, fitMs: Date.now() - started, steps: REFERENCE_SETTINGS.steps };
  process.stdout.write(`${JSON.stringify({ ...out, setMb, maxRssMb: process.resourceUsage().maxRSS / 1024 })}\n`);
}

main();
