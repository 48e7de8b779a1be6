// pnpm bench: each design choice measured next to its baseline in the same run, reported as a ratio.
// Absolute numbers depend on the machine (2 shared cores here); ratios are what to compare across runs.
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '@telltale/local-stack';
import { benchCodec } from './codec.bench';
import { benchCollectorLinger } from './collector-linger.bench';

async function main(): Promise<void> {
  const results = {
    codec: benchCodec(),
    collectorLinger: await benchCollectorLinger(),
  };
  const out = path.join(REPO_ROOT, '.local', 'bench-results.json');
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify({ at: new Date().toISOString(), ...results }, null, 2));
  console.log(`\nresults written to ${path.relative(process.cwd(), out)}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
