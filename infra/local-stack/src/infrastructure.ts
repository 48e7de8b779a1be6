import { spawn, spawnSync, type ChildProcess, type StdioOptions } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describeListener, isListening, listenerPids, listensOn } from './ports';
import { commandLineOf } from './proc';
import type { ProcessSpec } from './supervisor';

export const REPO_ROOT = path.resolve(__dirname, '../../..');
const KAFKA_SCRIPT = path.join(REPO_ROOT, 'infra/kafka/kafka.sh');
const CHDB_MAIN = path.join(REPO_ROOT, 'infra/chdb-server/src/main.ts');

/**
 * How to run a TypeScript entry point: node with tsx's loader, in ONE process.
 * TRICKY: the tsx CLI runs the script in a grandchild and relays signals; when the script's event loop is busy
 * for more than ~30 ms (a trainer fitting a model) it relays SIGTERM a second time (our ServiceLifecycle then exits
 * at once) or SIGKILLs it. One process gets exactly the signal we send.
 */
export function tsxCommand(script: string, node: string = process.execPath): { command: string; args: string[] } {
  const loader = pathToFileURL(require.resolve('tsx', { paths: [REPO_ROOT] })).href;
  return { command: node, args: ['--import', loader, script] };
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
  /** With a logFile: 'pipe' to write to the child's stdin. @default 'ignore' */
  stdin?: 'pipe' | 'ignore';
  /** A process group of its own: stop it with stopProcessTree. */
  detached?: boolean;
  /**
   * An IPC channel to the child (`process.send` exists there). The channel closes when this process dies, even by
   * SIGKILL, and a child that watches it ('disconnect') stops with us: the tie that makes `detached` safe.
   */
  ipc?: boolean;
  /**
   * The node binary. NOTE: this process's own by default, so that the project's Node (package.json
   * optionalDependencies) runs the children too, not whichever `node` comes first on PATH. @default process.execPath
   */
  node?: string;
}

/** Starts a TypeScript entry point as one node process (see tsxCommand), its output to a log file if asked. */
export function spawnTsx(script: string, opts: SpawnTsxOptions): ChildProcess {
  const { command, args } = tsxCommand(script, opts.node);
  return spawnLogged(command, args, opts);
}

function spawnLogged(command: string, args: string[], opts: SpawnTsxOptions): ChildProcess {
  const fd = opts.logFile ? openSync(opts.logFile, opts.truncate ? 'w' : 'a') : undefined;
  try {
    const stdio: StdioOptions = fd === undefined ? (opts.stdio ?? 'ignore') : [opts.stdin ?? 'ignore', fd, fd];
    const streams = Array.isArray(stdio) ? stdio : [stdio, stdio, stdio];
    // A launcher that itself has an IPC channel must not hand its channel variables to a child that gets none.
    const { NODE_CHANNEL_FD: _fd, NODE_CHANNEL_SERIALIZATION_MODE: _mode, ...env } = opts.env;
    return spawn(command, args, { cwd: opts.cwd, env: opts.ipc ? opts.env : env, stdio: opts.ipc ? [...streams, 'ipc'] : stdio, detached: opts.detached });
  } finally {
    if (fd !== undefined) closeSync(fd); // the child holds its own copy
  }
}

/** True the first time only: a log is truncated at the first spawn and appended to by restarts, which keeps the crash. */
function firstTruncates(): () => boolean {
  let first = true;
  return () => {
    const truncate = first;
    first = false;
    return truncate;
  };
}

// ---- Kafka ------------------------------------------------------------------------------------------------------

/**
 * The local KRaft broker as a supervised child: `kafka.sh run` writes its config, formats storage when new and
 * `exec`s the JVM, so the child's pid IS the broker's. NOTE: the JVM cannot watch an IPC channel; the reaper stops it
 * when the launcher dies.
 */
export function kafkaProcessSpec(opts: { port: number; controllerPort: number; dataDir: string; logFile: string }): ProcessSpec<'kafka'> {
  const truncate = firstTruncates();
  return {
    name: 'kafka',
    port: opts.port,
    url: `127.0.0.1:${opts.port}`,
    logFile: opts.logFile,
    spawn: () => {
      const { KAFKA_BROKERS: _external, ...env } = process.env;
      return spawnLogged('bash', [KAFKA_SCRIPT, 'run'], {
        env: { ...env, KAFKA_PORT: String(opts.port), KAFKA_CONTROLLER_PORT: String(opts.controllerPort), KAFKA_DATA_DIR: opts.dataDir },
        logFile: opts.logFile,
        truncate: truncate(),
        detached: true,
      });
    },
    // Ready: our child holds the listening socket (not a broker left from an earlier run) and answers ApiVersions.
    waitReady: (child, signal) => pollUntil(async () => child.pid !== undefined && listensOn(child.pid, opts.port) && (await kafkaAnswers(opts.port)), signal),
    // The first run on a fresh clone may fetch the jars from Maven Central before the JVM starts.
    readyTimeoutMs: 300_000,
    stopTimeoutMs: 30_000,
    // The JVM runs its shutdown hooks on SIGTERM and then exits 128 + 15.
    cleanExitCodes: [0, 143],
  };
}

/** Sends an ApiVersions v0 request and expects our correlation id back with error code 0: a broker, not just a port. */
export function kafkaAnswers(port: number, timeoutMs = 2_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = Buffer.alloc(0);
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => {
      // size 14 | api_key 18 (ApiVersions) | api_version 0 | correlation_id 'TELL' | client_id "ktsh"
      socket.write(Buffer.from([0, 0, 0, 14, 0, 18, 0, 0, 0x54, 0x45, 0x4c, 0x4c, 0, 4, 0x6b, 0x74, 0x73, 0x68]));
    });
    socket.on('data', (chunk: Buffer) => {
      reply = Buffer.concat([reply, chunk]);
      if (reply.length >= 10) done(reply.readUInt32BE(4) === 0x54454c4c && reply.readInt16BE(8) === 0);
    });
    socket.once('end', () => done(false));
  });
}

export interface LocalKafka {
  brokers: string;
  /** Stops the broker when this process started it; a no-op for an external cluster. */
  stop(): Promise<void>;
}

/**
 * For jest's global setup: uses KAFKA_BROKERS when set; otherwise starts (or reuses) the local KRaft broker from
 * infra/kafka in the background (`kafka.sh start`), so a test run shares one broker across its workers.
 */
export async function ensureKafka(opts: {
  port: number;
  dataDir: string;
  log?: (line: string) => void;
  /**
   * Start on an empty log when the broker is not running yet (a broker already running is reused as it is). For the
   * tests' throwaway topics: thousands left by earlier runs slow the broker's start, and it then answers before it
   * serves newly created topics ("This server does not host this topic-partition").
   */
  freshLog?: boolean;
}): Promise<LocalKafka> {
  if (process.env.KAFKA_BROKERS) {
    return { brokers: process.env.KAFKA_BROKERS, stop: async () => undefined };
  }
  const env = { ...process.env, KAFKA_PORT: String(opts.port), KAFKA_CONTROLLER_PORT: String(opts.port + 1), KAFKA_DATA_DIR: opts.dataDir };
  if (opts.freshLog && spawnSync('bash', [KAFKA_SCRIPT, 'status'], { env, stdio: 'ignore' }).status === 3) {
    spawnSync('bash', [KAFKA_SCRIPT, 'reset'], { env, stdio: 'ignore' });
  }
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

// ---- ClickHouse (embedded chDB server) --------------------------------------------------------------------------

/** The message chdb-server sends over IPC once it listens. */
export interface ChdbReadyMessage {
  event: 'ready';
  pid: number;
  url: string;
}

function spawnChdbServer(opts: { port: number; dataDir: string; logFile?: string; truncate?: boolean; node?: string }): ChildProcess {
  mkdirSync(opts.dataDir, { recursive: true });
  return spawnTsx(CHDB_MAIN, {
    env: { ...process.env, CHDB_PORT: String(opts.port), CHDB_HOST: '127.0.0.1', CHDB_DATA_DIR: opts.dataDir },
    logFile: opts.logFile,
    truncate: opts.truncate,
    node: opts.node,
    // Own process group: a terminal's Ctrl-C reaches only the launcher, which stops ClickHouse after the services.
    // The IPC channel stops it when its parent dies.
    detached: true,
    ipc: true,
  });
}

/** Resolves when the child itself says, over IPC, that it listens: a stale server on the port cannot say that. */
export function readyMessage(child: ChildProcess, signal: AbortSignal): Promise<ChdbReadyMessage> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: unknown) => {
      const m = message as Partial<ChdbReadyMessage> | null;
      if (m?.event === 'ready' && m.pid === child.pid && typeof m.url === 'string') {
        cleanup();
        resolve(m as ChdbReadyMessage);
      }
    };
    const onAbort = () => {
      cleanup();
      reject(new Error('aborted'));
    };
    const cleanup = () => {
      child.off('message', onMessage);
      signal.removeEventListener('abort', onAbort);
    };
    child.on('message', onMessage);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** `node`: the binary that runs chdb-server. @default process.execPath */
export function clickHouseProcessSpec(opts: { port: number; dataDir: string; logFile: string; node?: string }): ProcessSpec<'clickhouse'> {
  const truncate = firstTruncates();
  return {
    name: 'clickhouse',
    port: opts.port,
    url: `http://127.0.0.1:${opts.port}`,
    logFile: opts.logFile,
    spawn: () => spawnChdbServer({ ...opts, truncate: truncate() }),
    waitReady: async (child, signal) => {
      await readyMessage(child, signal);
    },
    readyTimeoutMs: 60_000,
    stopTimeoutMs: 15_000,
  };
}

export interface LocalClickHouse {
  url: string;
  stop(): Promise<void>;
}

/**
 * For jest's global setup: uses CLICKHOUSE_URL when set; otherwise starts the embedded chDB-backed ClickHouse HTTP
 * server as a child process (chDB locks its data directory to one process, so this one process owns it and everybody
 * talks HTTP to it). Tied to this process by its IPC channel.
 */
export async function ensureClickHouse(opts: { port: number; dataDir: string; logFile?: string }): Promise<LocalClickHouse> {
  if (process.env.CLICKHOUSE_URL) {
    return { url: process.env.CLICKHOUSE_URL, stop: async () => undefined };
  }
  if (isListening(opts.port)) {
    // NOTE: another test run in this tree owns a chdb-server there: share it, as kafka.sh start shares a broker
    // (tests make their own databases). Anything else on the port is an error, not a ClickHouse to trust.
    const owners = listenerPids(opts.port);
    if (owners.some((pid) => (commandLineOf(pid) ?? []).some((arg) => arg === CHDB_MAIN))) {
      return { url: `http://127.0.0.1:${opts.port}`, stop: async () => undefined };
    }
    throw new Error(`cannot start embedded ClickHouse: port ${opts.port} is taken by ${describeListener(opts.port)}`);
  }
  const child = spawnChdbServer(opts);
  const abort = new AbortController();
  const exited = new Promise<never>((_, reject) => {
    child.once('exit', (code, signal) =>
      reject(new Error(`embedded ClickHouse exited (${signal ?? `code ${code}`}) before it was ready (see ${opts.logFile ?? 'its output'})`)),
    );
  });
  const timeout = setTimeout(() => abort.abort(), 60_000);
  try {
    const ready = await Promise.race([readyMessage(child, abort.signal), exited]);
    return { url: ready.url, stop: () => stopProcessTree(child, 15_000) };
  } catch (err) {
    await stopProcessTree(child, 5_000);
    throw abort.signal.aborted ? new Error(`embedded ClickHouse on port ${opts.port} not ready within 60 s (see ${opts.logFile ?? 'its output'})`) : err;
  } finally {
    clearTimeout(timeout);
    exited.catch(() => undefined);
  }
}

// ---- stopping and waiting ---------------------------------------------------------------------------------------

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
  const killGroup = () => {
    // Only while the child is unreaped is its pid certainly still its group's id.
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // ESRCH: the group is gone already
      }
    }
  };
  await stopChild(child, deadlineMs, killGroup);
}

/** Calls `check` every `intervalMs` until it returns true; rejects once `signal` aborts. */
export async function pollUntil(check: () => Promise<boolean> | boolean, signal: AbortSignal, intervalMs = 250): Promise<void> {
  while (!signal.aborted) {
    if (await Promise.resolve().then(check).catch(() => false)) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, intervalMs);
      function done() {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
  }
  throw new Error('aborted');
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
