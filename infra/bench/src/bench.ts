// pnpm bench: each design choice measured next to its baseline in the same run, reported as a ratio.
// Absolute numbers depend on the machine (2 shared cores here); ratios are what to compare across runs.
// `pnpm bench` runs every scenario but e2e, load-driver, history, prediction-api and queries; `pnpm bench ml` (or codec, collector-linger, e2e,
// history) only those named.
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '@telltale/local-stack';
import { benchCodec } from './codec.bench';
import { benchCollectorLinger } from './collector-linger.bench';
import { benchE2e } from './e2e/e2e.bench';
import { benchHistoryScaling } from './history-scaling.bench';
import { benchKafkajsFastPaths } from './kafkajs-fast-paths.bench';
import { benchLoadDriver } from './load-driver.bench';
import { benchMl } from './ml.bench';
import { benchPredictionApi } from './prediction-api.bench';
import { benchQueryScaling } from './query-scaling.bench';

const SCENARIOS: Record<string, () => unknown> = {
  codec: benchCodec,
  'collector-linger': benchCollectorLinger,
  'kafkajs-fast-paths': benchKafkajsFastPaths,
  ml: benchMl,
  // The load driver's own CPU per event, pre-encoded bodies against JSON built per request (40 s).
  'load-driver': benchLoadDriver,
  // The whole pipeline on a local stack, minutes long: only when asked by name (`pnpm bench e2e`).
  e2e: benchE2e,
  // 1M and 10M events seeded into a scratch database, the periodic queries timed on each: minutes, only when named.
  history: benchHistoryScaling,
  // The query API's GET /v1/users/{id}/prediction at 500 requests/s beside `pnpm start`'s traffic: only when named.
  'prediction-api': benchPredictionApi,
  // The analytics queries of the API and the CLI at 1M and 10M events of history: minutes, only when named.
  queries: benchQueryScaling,
};
const ONLY_WHEN_NAMED = new Set(['e2e', 'load-driver', 'history', 'prediction-api', 'queries']);

async function main(): Promise<void> {
  const asked = process.argv.slice(2);
  const unknown = asked.filter((name) => !(name in SCENARIOS));
  if (unknown.length > 0) throw new Error(`unknown scenario(s) ${unknown.join(', ')}; known: ${Object.keys(SCENARIOS).join(', ')}`);
  const results: Record<string, unknown> = {};
  for (const [name, scenario] of Object.entries(SCENARIOS)) {
    if (asked.includes(name) || (asked.length === 0 && !ONLY_WHEN_NAMED.has(name))) results[name] = await scenario();
  }
  const out = path.join(REPO_ROOT, '.local', 'bench-results.json');
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify({ at: new Date().toISOString(), ...results }, null, 2));
  console.log(`\nresults written to ${path.relative(process.cwd(), out)}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
