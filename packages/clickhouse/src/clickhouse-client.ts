import { ClickHouseLogLevel, createClient, type ClickHouseClient, type Logger as ClientLogger, type LogParams } from '@clickhouse/client';
import { z } from 'zod';
import { env, type Logger } from '@telltale/runtime';

export type { ClickHouseClient };

/** Variables every ClickHouse user reads. */
export const clickhouseEnv = {
  /** HTTP endpoint of ClickHouse (or of the embedded chDB server). @default http://127.0.0.1:8123 */
  CLICKHOUSE_URL: env.url('http://127.0.0.1:8123'),
  /** @default default */
  CLICKHOUSE_USER: env.string('default'),
  /** @default '' */
  CLICKHOUSE_PASSWORD: z.string().default(''),
  /** Database holding Telltale's tables; created by the migrations. @default telltale */
  CLICKHOUSE_DATABASE: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an identifier').default('telltale'),
};

export interface ClickHouseSettings {
  url: string;
  user: string;
  password: string;
  database: string;
  /** @default 30000 */
  requestTimeoutMs?: number;
}

export function settingsFromEnv(config: {
  CLICKHOUSE_URL: string;
  CLICKHOUSE_USER: string;
  CLICKHOUSE_PASSWORD: string;
  CLICKHOUSE_DATABASE: string;
}): ClickHouseSettings {
  return {
    url: config.CLICKHOUSE_URL,
    user: config.CLICKHOUSE_USER,
    password: config.CLICKHOUSE_PASSWORD,
    database: config.CLICKHOUSE_DATABASE,
  };
}

/**
 * The client logs through the service's pino logger (structured, at the service's level) instead of the console.
 * Its errors are also thrown to the caller, who decides how loud they are, so they are logged here at warn.
 */
function clientLoggerClass(logger: Logger): new () => ClientLogger {
  const log = logger.child({ component: 'clickhouse-client' });
  const fields = ({ module, args }: LogParams, err?: Error) => ({ module, ...args, ...(err ? { err: err.message } : {}) });
  return class implements ClientLogger {
    trace(p: LogParams) {
      log.trace(fields(p), p.message);
    }
    debug(p: LogParams) {
      log.debug(fields(p), p.message);
    }
    info(p: LogParams) {
      log.info(fields(p), p.message);
    }
    warn(p: LogParams & { err?: Error }) {
      log.warn(fields(p, p.err), p.message);
    }
    error(p: LogParams & { err: Error }) {
      log.warn(fields(p, p.err), p.message);
    }
  };
}

/**
 * How a reader that must never write talks to ClickHouse. `setting`: every query carries `readonly=1` (the embedded
 * chdb-server and a real server then refuse anything but reads, even for a user that may write). `user`: the user's
 * own profile is read-only; NOTE: ClickHouse refuses a change of `readonly` from such a user (readonly=2: "Cannot
 * modify 'readonly' setting in readonly mode"; readonly=1: every setting), so this mode sends none.
 */
export type ReadOnlyMode = 'setting' | 'user';

export function createClickHouseClient(
  settings: ClickHouseSettings,
  opts: { database?: string; logger?: Logger; readOnly?: ReadOnlyMode } = {},
): ClickHouseClient {
  const common = {
    ...(opts.logger ? { log: { LoggerClass: clientLoggerClass(opts.logger), level: ClickHouseLogLevel.WARN } } : {}),
    url: settings.url,
    username: settings.user,
    password: settings.password,
    database: opts.database ?? settings.database,
    request_timeout: settings.requestTimeoutMs ?? 30_000,
  };
  if (opts.readOnly) {
    // No response compression: it is asked for with a setting (enable_http_compression).
    return createClient({ ...common, compression: { response: false }, clickhouse_settings: opts.readOnly === 'setting' ? { readonly: '1' } : {} });
  }
  return createClient({
    ...common,
    clickhouse_settings: {
      // Inserts return only once the data is written, so an offset commit after insert() means durable rows.
      wait_end_of_query: 1,
      date_time_input_format: 'best_effort',
    },
  });
}

/** ClickHouse DateTime64 text in UTC for JSONEachRow inserts: 2024-05-01 12:00:00.123 */
export function toClickHouseTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}
