// `pnpm deploy:services [--out DIR] [service...]`: after `pnpm build`, one folder per service under DIR
// (default .local/deploy) holding dist/ and its production dependencies only; `node dist/main.js` starts it.
import path from 'node:path';
import { deployService, REPO_ROOT, selectServices } from './service-build';

const USAGE = 'usage: deploy.main.ts [--out DIR] [service...]';

function main(): void {
  const args = process.argv.slice(2);
  let out = path.join(REPO_ROOT, '.local/deploy');
  const outAt = args.indexOf('--out');
  if (outAt >= 0) {
    const dir = args[outAt + 1];
    if (!dir) throw new Error(`--out needs a folder; ${USAGE}`);
    out = path.resolve(dir);
    args.splice(outAt, 2);
  }
  for (const service of selectServices(args)) {
    const target = path.join(out, service.name);
    deployService(service, target);
    process.stdout.write(`deployed ${service.name} to ${target}\n`);
  }
}

try {
  main();
} catch (err) {
  process.stderr.write(`deploy failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
