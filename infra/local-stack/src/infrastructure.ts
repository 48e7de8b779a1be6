import { spawn, spawnSync, type ChildProcess, type StdioOptions } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export const REPO_ROOT = path.resolve(__dirname, '../../..');
const KAFKA_SCRIPT = path.join(REPO_ROOT, 'infra/kafka/kafka.sh');
const CHDB_MAIN = path.join(REPO_ROOT, 'infra/chdb-server/src/main.ts');

/**
 * How to run a TypeScript entry point: node with tsx's loader, in ONE process.
 * TRICKY: the tsx CLI runs the script in a grandchild and relays signals; when the script's event loop is busy
 * for more than ~30 ms (a trainer fitting a model) it relays SIGTERM a second time (our ServiceLifecycle then exits
 * at once) or SIGKILLs it. One process gets exactly the signal we send.
 */
function tsxCommand(script: string): { command: string; args: string[] } {
  const loader = pathToFileURL(require.resolve('tsx', { paths: [REPO_ROOT] })).href;
  return { command: process.execPath, args: ['--import', loader, script] };
}

export interface SpawnTsxOptions {
  /** The child's whole environment (merge process.env in yourself). */
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** stdout and stderr go to this file, appended to (or truncated first with `truncate`); `stdio` is then unused. */
  logFile?: string;
  truncate?: boolean;
  /** Without a logFile. @default 'ignore' */
  stdio?: StdioOptions;
  /** A process group of its own: stop it with stopProcessTree. */
  detached?: boolean;
}

/** Starts a TypeScript entry point as one node process (see tsxCommand), its output to a log file if asked. */
export function spawnTsx(script: string, opts: SpawnTsxOptions): ChildProcess {
  const { command, args } = tsxCommand(script);
  const fd = opts.logFile ? openSync(opts.logFile, opts.truncate ? 'w' : 'a') : undefined;
  try {
    return spawn(command, args, {
      cwd: opts.cwd,
      env: opts.env,
      stdio: fd === undefined ? (opts.stdio ?? 'ignore') : ['ignore', fd, fd],
      detached: opts.detached,
    });
  } finally {
    if (fd !== undefined) closeSync(fd); // the child holds its own copy
  }
}

export interface LocalKafka {
  brokers: string;
  /** Stops the broker when this process started it; a no-op for an external cluster. */
  stop(): Promise<void>;
}

/**
 * Uses KAFKA_BROKERS when set; otherwise starts (or reuses) the local KRaft broker from infra/kafka.
 */
export async function ensureKafka(opts: { port: number; dataDir: string; log?: (line: string) => void }): Promise<LocalKafka> {
  if (process.env.KAFKA_BROKERS) {
    return { brokers: process.env.KAFKA_BROKERS, stop: async () => undefined };
  }
  const env = { ...process.env, KAFKA_PORT: String(opts.port), KAFKA_CONTROLLER_PORT: String(opts.port + 1), KAFKA_DATA_DIR: opts.dataDir };
  const started = spawnSync('bash', [KAFKA_SCRIPT, 'start'], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (started.status !== 0) {
    throw new Error(`local Kafka did not start (infra/kafka/kafka.sh start exited ${started.status}):\n${started.stdout}\n${started.stderr}`);
  }
  opts.log?.(started.stdout.trim());
  const reused = /already/i.test(started.stdout);
  return {
    brokers: `127.0.0.1:${opts.port}`,
    stop: async () => {
      if (reused) return; // somebody else's broker: leave it running
      spawnSync('bash', [KAFKA_SCRIPT, 'stop'], { env, stdio: 'inherit' });
    },
  };
}

export interface LocalClickHouse {
  url: string;
  stop(): Promise<void>;
}

/**
 * Uses CLICKHOUSE_URL when set; otherwise starts the embedded chDB-backed ClickHouse HTTP server as a child process
 * (chDB locks its data directory to one process, so this one process owns it and everybody talks HTTP to it).
 */
export async function ensureClickHouse(opts: { port: number; dataDir: string; logFile?: string }): Promise<LocalClickHouse> {
  if (process.env.CLICKHOUSE_URL) {
    return { url: process.env.CLICKHOUSE_URL, stop: async () => undefined };
  }
  const url = `http://127.0.0.1:${opts.port}`;
  mkdirSync(opts.dataDir, { recursive: true });
  const child = spawnTsx(CHDB_MAIN, {
    env: { ...process.env, CHDB_PORT: String(opts.port), CHDB_HOST: '127.0.0.1', CHDB_DATA_DIR: opts.dataDir },
    logFile: opts.logFile,
    // Own process group: a terminal's Ctrl-C reaches only our start script, which stops ClickHouse last.
    detached: true,
  });
  let exited: number | null = null;
  child.once('exit', (code) => {
    exited = code ?? -1;
  });
  await waitForHttp(`${url}/ping`, {
    timeoutMs: 60_000,
    what: `embedded ClickHouse on ${url}`,
    failure: () => (exited === null ? undefined : `embedded ClickHouse exited with ${exited} before answering (see ${opts.logFile ?? 'its output'})`),
  });
  return {
    url,
    stop: () => stopProcessTree(child, 15_000),
  };
}

/** SIGTERM, wait for a clean exit, SIGKILL after the deadline. */
export function stopChild(child: ChildProcess, deadlineMs: number, kill: () => void = () => child.kill('SIGKILL')): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(kill, deadlineMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * For children spawned with `detached: true` (their own process group): SIGTERM to the child, wait, then SIGKILL
 * to the whole group, so nothing it started outlives it. Resolves once the child has exited.
 */
export async function stopProcessTree(child: ChildProcess, deadlineMs: number): Promise<void> {
  await stopChild(child, deadlineMs, () => killGroup(child, 'SIGKILL'));
  // Whatever the child left behind in its group (it should be nothing) goes too.
  killGroup(child, 'SIGKILL');
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // ESRCH: the group is gone already
  }
}

export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Polls `url` until it answers 200. Each request gets 2 s (a server that accepted the connection but hangs is asked
 * again) and its body is discarded. `failure` is asked before every attempt: a reason (the process exited) ends the
 * wait at once, as an Error with that message.
 */
export async function waitForHttp(url: string, opts: { timeoutMs: number; what: string; failure?: () => string | undefined }): Promise<void> {
  await waitFor(
    async () => {
      const reason = opts.failure?.();
      if (reason !== undefined) throw new Error(reason);
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) }).catch(() => undefined);
      await res?.body?.cancel();
      return res?.status === 200;
    },
    opts.timeoutMs,
    opts.what,
  );
}
