import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readStackFile, writeStackFile, type StackFile } from './stack-file';

describe('stack.json', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'stack-file-'));
  const file = path.join(dir, 'stack.json');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is written whole, with no temp file left, and read back', () => {
    const stack: StackFile = {
      launcherPid: 10,
      reaperPid: 11,
      startedAt: '2026-11-29T10:00:00.000Z',
      ready: true,
      stopping: false,
      processes: { collector: { pid: 12, port: 8080, url: 'http://127.0.0.1:8080', restarts: 1, status: 'healthy' } },
    };
    writeStackFile(file, stack);
    writeStackFile(file, { ...stack, stopping: true });
    expect(readStackFile(file)).toEqual({ ...stack, stopping: true });
    expect(readdirSync(dir)).toEqual(['stack.json']);
  });

  it('is absent when missing or unreadable', () => {
    expect(readStackFile(path.join(dir, 'none.json'))).toBeUndefined();
    writeFileSync(file, '{"launcherPid": 1, "proc');
    expect(readStackFile(file)).toBeUndefined();
  });
});
