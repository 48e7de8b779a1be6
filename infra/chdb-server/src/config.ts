import path from 'node:path';
import { statSync } from 'node:fs';

/** The repository root (this file is infra/chdb-server/src/config.ts). */
export const REPO_ROOT = path.resolve(__dirname, '../../..');

export interface ChdbServerConfig {
  host: string;
  port: number;
  dataDir: string;
  /** Log a query_start and query_finish event per query (ClickHouse's query_log, as log lines). */
  logQueries: boolean;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid chdb-server configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Reads CHDB_PORT (default 8123), CHDB_HOST (default 127.0.0.1), CHDB_DATA_DIR (default <repo>/.local/chdb) and
 * CHDB_LOG_QUERIES (default 0).
 * Throws a ConfigError naming every bad variable.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): ChdbServerConfig {
  const problems: string[] = [];

  const rawPort = env.CHDB_PORT?.trim();
  let port = 8123;
  if (rawPort !== undefined && rawPort !== '') {
    if (!/^\d+$/.test(rawPort) || Number(rawPort) > 65535) {
      problems.push(`CHDB_PORT must be an integer from 0 to 65535 (0 = any free port), got ${JSON.stringify(env.CHDB_PORT)}`);
    } else {
      port = Number(rawPort);
    }
  }

  const rawHost = env.CHDB_HOST?.trim();
  let host = '127.0.0.1';
  if (rawHost !== undefined && rawHost !== '') {
    if (/[\s/]/.test(rawHost) || rawHost.includes('://')) {
      problems.push(`CHDB_HOST must be a host name or IP address to listen on (no scheme, port or path), got ${JSON.stringify(env.CHDB_HOST)}`);
    } else {
      host = rawHost;
    }
  }

  const rawDir = env.CHDB_DATA_DIR;
  let dataDir = path.join(REPO_ROOT, '.local', 'chdb');
  if (rawDir !== undefined) {
    if (rawDir.trim() === '') {
      problems.push('CHDB_DATA_DIR is set but empty; unset it for the default <repo>/.local/chdb or give a directory');
    } else if (rawDir.includes('\0')) {
      problems.push('CHDB_DATA_DIR contains a NUL byte');
    } else {
      dataDir = path.resolve(rawDir);
    }
  }
  try {
    const st = statSync(dataDir);
    if (!st.isDirectory()) problems.push(`CHDB_DATA_DIR ${JSON.stringify(dataDir)} exists and is not a directory`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      problems.push(`CHDB_DATA_DIR ${JSON.stringify(dataDir)} cannot be used: ${(err as Error).message}`);
    }
  }

  const rawLogQueries = env.CHDB_LOG_QUERIES?.trim().toLowerCase();
  let logQueries = false;
  if (rawLogQueries !== undefined && rawLogQueries !== '') {
    if (['1', 'true', 'yes'].includes(rawLogQueries)) logQueries = true;
    else if (!['0', 'false', 'no'].includes(rawLogQueries)) {
      problems.push(`CHDB_LOG_QUERIES must be 1/true/yes or 0/false/no, got ${JSON.stringify(env.CHDB_LOG_QUERIES)}`);
    }
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return { host, port, dataDir, logQueries };
}
