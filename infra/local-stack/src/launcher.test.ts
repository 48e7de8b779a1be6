import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { childNode } from './launcher';

describe('childNode (TELLTALE_NODE)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'child-node-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("is the launcher's own node when unset or blank", () => {
    expect(childNode({})).toEqual({ path: process.execPath, version: process.version });
    expect(childNode({ TELLTALE_NODE: '  ' })).toEqual({ path: process.execPath, version: process.version });
  });

  it('takes a node binary that runs, with the version it prints', () => {
    expect(childNode({ TELLTALE_NODE: process.execPath })).toEqual({ path: process.execPath, version: process.version });
  });

  it('refuses a path that is not a file, naming the variable', () => {
    expect(() => childNode({ TELLTALE_NODE: path.join(dir, 'missing') })).toThrow(/^TELLTALE_NODE must be the path of a node binary; ".*missing" is not a file$/);
    expect(() => childNode({ TELLTALE_NODE: dir })).toThrow(/is not a file/);
  });

  it('refuses a file that does not run, or runs but is not node', () => {
    const notExecutable = path.join(dir, 'plain');
    writeFileSync(notExecutable, '');
    expect(() => childNode({ TELLTALE_NODE: notExecutable })).toThrow(/^TELLTALE_NODE=".*plain" does not run as node .*EACCES/);

    const failing = path.join(dir, 'failing');
    writeFileSync(failing, '#!/bin/sh\necho "broken install" >&2\nexit 3\n');
    chmodSync(failing, 0o755);
    expect(() => childNode({ TELLTALE_NODE: failing })).toThrow(/does not run as node .*exit 3: broken install\)$/);

    const other = path.join(dir, 'other');
    writeFileSync(other, '#!/bin/sh\necho 1.2.3\n');
    chmodSync(other, 0o755);
    expect(() => childNode({ TELLTALE_NODE: other })).toThrow(/does not run as node .*exit 0, printed "1.2.3"\)$/);
  });
});
