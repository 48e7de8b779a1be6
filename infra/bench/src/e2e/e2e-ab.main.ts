// Compares `pnpm bench e2e` runs step by step: what e2e-ab.sh runs. Writes bench/results/e2e-ab.{json,md}.
//   tsx infra/bench/src/e2e/e2e-ab.main.ts <baseline revision> <dir with <label>.json> <label>...
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { renderComparison, type ComparedRun } from './e2e-compare';

const [revision, dir, ...labels] = process.argv.slice(2);
if (!revision || !dir || labels.length < 2) throw new Error('usage: e2e-ab.main.ts <baseline revision> <dir> <baseline label> <label>...');
const runs: ComparedRun[] = labels.map((label) => ({ label, result: JSON.parse(readFileSync(path.join(dir, `${label}.json`), 'utf8')) }));
const results = path.resolve(__dirname, '../../../../bench/results');
const md = renderComparison(revision, runs);
writeFileSync(path.join(results, 'e2e-ab.md'), md);
writeFileSync(path.join(results, 'e2e-ab.json'), JSON.stringify({ baselineRevision: revision, runs }, null, 2));
console.log(md);
