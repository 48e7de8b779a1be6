import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { packageOf, summariseCpuProfile } from './cpu-profile-summary';

describe('packageOf', () => {
  it('names npm packages (scoped too), workspace code, node internals and V8 entries', () => {
    expect(packageOf('file:///work/main/node_modules/.pnpm/kafkajs@2.2.4/node_modules/kafkajs/src/producer/index.js', 'send')).toBe('kafkajs');
    expect(packageOf('file:///x/node_modules/@clickhouse/client-common/dist/x.js', 'f')).toBe('@clickhouse/client-common');
    expect(packageOf('file:///work/main/services/sink/src/table-writer.ts', 'write')).toBe('services/sink');
    expect(packageOf('node:internal/streams/readable', 'read')).toBe('node:internal');
    expect(packageOf('', '(garbage collector)')).toBe('(garbage collector)');
    expect(packageOf('', 'writev')).toBe('(native)');
  });
});

describe('summariseCpuProfile', () => {
  it('adds up self time per function and package from the samples, leaving idle out of the busy time', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'profile-'));
    const file = path.join(dir, 'x.cpuprofile');
    const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 0, scriptId: '0', columnNumber: 0 });
    writeFileSync(
      file,
      JSON.stringify({
        nodes: [
          { id: 1, callFrame: frame('(root)', ''), children: [2, 3, 4] },
          { id: 2, callFrame: frame('(idle)', '') },
          { id: 3, callFrame: frame('encode', 'file:///r/node_modules/avsc/lib/types.js') },
          { id: 4, callFrame: frame('handle', 'file:///r/services/sink/src/sink.service.ts') },
        ],
        startTime: 0,
        endTime: 10_000,
        // The time a sample stands for is the delta after it.
        samples: [3, 4, 4, 2, 3],
        timeDeltas: [0, 100_000, 200_000, 300_000, 400_000],
      }),
    );
    const summary = summariseCpuProfile(file);
    expect(summary.busyS).toBe(0.6);
    expect(summary.topPackages).toEqual([
      { name: 'services/sink', selfMs: 500, selfPct: 83.3 },
      { name: 'avsc', selfMs: 100, selfPct: 16.7 },
    ]);
  });
});
