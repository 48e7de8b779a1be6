/**
 * Embedded ClickHouse for local runs and tests: `tsx infra/chdb-server/src/main.ts`.
 * Env: CHDB_PORT (8123), CHDB_HOST (127.0.0.1), CHDB_DATA_DIR (<repo>/.local/chdb), CHDB_LOG_QUERIES (0).
 * SIGTERM/SIGINT/SIGHUP: stop accepting, finish accepted requests, close the chDB session, exit 0.
 * Spawned with an IPC channel (the local-stack launcher, jest's global setup): sends {event:'ready', pid, url} once it
 * listens, so the parent knows the answer on the port is this process's; stops the same way when the channel closes,
 * i.e. when the parent died, even by SIGKILL.
 */
import { ConfigError, loadConfig } from './config';
import { jsonLogger } from './log';
import { startChdbServer } from './server';

const log = jsonLogger();

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      log({ level: 'error', event: 'config_invalid', message: err.message, problems: err.problems });
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }

  const started = Date.now();
  let server;
  try {
    server = await startChdbServer({ ...config, log });
  } catch (err) {
    log({ level: 'error', event: 'start_failed', message: (err as Error).message, data_dir: config.dataDir, host: config.host, port: config.port });
    process.exit(1);
  }
  log({ level: 'info', event: 'start', url: server.url, data_dir: config.dataDir, pid: process.pid, startup_ms: Date.now() - started });

  let stopping = false;
  const stop = (reason: NodeJS.Signals | 'parent_gone') => {
    if (stopping) return;
    stopping = true;
    log({ level: 'info', event: 'stopping', signal: reason });
    const t0 = Date.now();
    server.close().then(
      () => {
        log({ level: 'info', event: 'stopped', signal: reason, shutdown_ms: Date.now() - t0 });
        process.exit(0);
      },
      (err: unknown) => {
        log({ level: 'error', event: 'stop_failed', message: (err as Error).message });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('SIGHUP', stop);
  if (process.send) {
    process.on('disconnect', () => stop('parent_gone'));
    // Closed while we started: the parent is gone already.
    if (!process.connected) stop('parent_gone');
    else process.send({ event: 'ready', pid: process.pid, url: server.url }, (err: Error | null) => err && stop('parent_gone'));
  }
}

process.on('unhandledRejection', (reason) => {
  log({ level: 'error', event: 'unhandled_rejection', message: (reason as Error)?.stack ?? String(reason) });
});
process.on('uncaughtException', (err) => {
  log({ level: 'error', event: 'uncaught_exception', message: err.stack ?? err.message });
  process.exit(1);
});

void main();
