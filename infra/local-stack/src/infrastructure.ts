import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '../../..');
const KAFKA_SCRIPT = path.join(REPO_ROOT, 'infra/kafka/kafka.sh');
const CHDB_MAIN = path.join(REPO_ROOT, 'infra/chdb-server/src/main.ts');
const TSX = path.join(REPO_ROOT, 'node_modules/.bin/tsx');

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
  const out = opts.logFile ? openSync(opts.logFile, 'a') : 'ignore';
  const child: ChildProcess = spawn(TSX, [CHDB_MAIN], {
    env: { ...process.env, CHDB_PORT: String(opts.port), CHDB_HOST: '127.0.0.1', CHDB_DATA_DIR: opts.dataDir },
    stdio: ['ignore', out, out],
  });
  let exited: number | null = null;
  child.once('exit', (code) => {
    exited = code ?? -1;
  });
  await waitFor(async () => {
    if (exited !== null) throw new Error(`embedded ClickHouse exited with ${exited} before answering (see ${opts.logFile ?? 'its output'})`);
    const res = await fetch(`${url}/ping`).catch(() => undefined);
    return res?.ok === true;
  }, 60_000, `embedded ClickHouse on ${url}`);
  return {
    url,
    stop: () => stopChild(child, 15_000),
  };
}

/** SIGTERM, wait for a clean exit, SIGKILL after the deadline. */
export function stopChild(child: ChildProcess, deadlineMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), deadlineMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
