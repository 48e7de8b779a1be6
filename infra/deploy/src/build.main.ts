// `pnpm build [service...]`: bundles each service (all when none is named) into services/<name>/dist.
import path from 'node:path';
import { buildService, REPO_ROOT, selectServices } from './service-build';

async function main(): Promise<void> {
  for (const service of selectServices(process.argv.slice(2))) {
    const outputs = await buildService(service);
    process.stdout.write(`built ${service.name}: ${outputs.map((f) => path.relative(REPO_ROOT, path.resolve(REPO_ROOT, f))).join(', ')}\n`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`build failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
