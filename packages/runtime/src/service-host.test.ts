import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

// The service skeleton as a real process: every way a service can end runs the same ordered stop, and only a clean
// requested stop exits 0.
const FIXTURE = path.join(__dirname, 'test-fixtures/demo-service.ts');
const TSX = pathToFileURL(require.resolve('tsx')).href;

interface Demo {
  child: ChildProcess;
  lines: string[];
  /** Resolves with the first log line matching `pattern`. */
  line(pattern: RegExp): Promise<string>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startDemo(env: Record<string, string>, opts: { ipc?: boolean } = {}): Demo {
  const child = spawn(process.execPath, ['--import', TSX, FIXTURE], {
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: opts.ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters: Array<{ pattern: RegExp; resolve: (line: string) => void }> = [];
  const onData = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
      lines.push(line);
      for (const w of waiters.filter((w) => w.pattern.test(line))) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const line = (pattern: RegExp) =>
    new Promise<string>((resolve, reject) => {
      const found = lines.find((l) => pattern.test(l));
      if (found) return resolve(found);
      waiters.push({ pattern, resolve });
      void exit.then(() => reject(new Error(`exited before a line matching ${pattern}:\n${lines.join('\n')}`)));
    });
  return { child, lines, line, exit };
}

/** The admin port from the "demo started" log line. */
async function started(demo: Demo): Promise<number> {
  const line = await demo.line(/demo started/);
  return (JSON.parse(line) as { adminPort: number }).adminPort;
}

const orderOf = (demo: Demo) => demo.lines.filter((l) => l === 'closing' || l === 'closed');

describe('service skeleton (runService) as a process', () => {
  it('serves /healthz with its own pid', async () => {
    const demo = startDemo({});
    const port = await started(demo);
    const body = (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as { status: string; pid: number };
    expect(body).toMatchObject({ status: 'ok', pid: demo.child.pid });
    demo.child.kill('SIGTERM');
    expect(await demo.exit).toEqual({ code: 0, signal: null });
  });

  it.each(['SIGTERM', 'SIGINT', 'SIGHUP'] as const)('%s: ordered stop, exit 0', async (signal) => {
    const demo = startDemo({});
    await started(demo);
    demo.child.kill(signal);
    expect(await demo.exit).toEqual({ code: 0, signal: null });
    expect(orderOf(demo)).toEqual(['closing', 'closed']);
  });

  it('a parent that goes away (IPC channel closed): ordered stop, exit 0', async () => {
    const demo = startDemo({}, { ipc: true });
    await started(demo);
    demo.child.disconnect();
    expect(await demo.exit).toEqual({ code: 0, signal: null });
    expect(orderOf(demo)).toEqual(['closing', 'closed']);
    expect(demo.lines.join('\n')).toContain('parent process gone');
  });

  it.each([
    ['fail', 'demo component gave up'],
    ['throw', 'uncaught exception'],
    ['reject', 'unhandled rejection'],
  ])('%s: ordered stop, exit 1, the cause logged', async (behaviour, cause) => {
    const demo = startDemo({ DEMO_BEHAVIOUR: behaviour });
    expect(await demo.exit).toEqual({ code: 1, signal: null });
    expect(orderOf(demo)).toEqual(['closing', 'closed']);
    expect(demo.lines.some((l) => l.includes('cannot go on') && l.includes(cause))).toBe(true);
  });

  it('a stop step that fails: exit 1 even though the stop was requested', async () => {
    const demo = startDemo({ DEMO_BEHAVIOUR: 'close-fails' });
    await started(demo);
    demo.child.kill('SIGTERM');
    expect(await demo.exit).toEqual({ code: 1, signal: null });
    expect(demo.lines.some((l) => l.includes('stop step failed') && l.includes('could not flush'))).toBe(true);
  });

  it('a bad config value: exit 1 naming the variable, nothing started', async () => {
    const demo = startDemo({ ADMIN_PORT: 'eighty' });
    expect(await demo.exit).toEqual({ code: 1, signal: null });
    expect(demo.lines.join('\n')).toMatch(/ADMIN_PORT=\\"eighty\\": Expected number/);
    expect(demo.lines.some((l) => l.includes('demo started'))).toBe(false);
  });
});
