import { ClickHouseError } from '@clickhouse/client';

// Server error codes (ClickHouse src/Common/ErrorCodes.cpp) that describe a passing condition: overload,
// timeouts, lost connections. Everything else (bad data, unknown table or column) will fail again as it is.
const RETRIABLE_CODES = new Set([
  '159', // TIMEOUT_EXCEEDED
  '164', // READONLY
  '202', // TOO_MANY_SIMULTANEOUS_QUERIES
  '209', // SOCKET_TIMEOUT
  '210', // NETWORK_ERROR
  '241', // MEMORY_LIMIT_EXCEEDED
  '242', // TABLE_IS_READ_ONLY
  '252', // TOO_MANY_PARTS
  '319', // UNKNOWN_STATUS_OF_INSERT
  '425', // SYSTEM_ERROR
  '999', // KEEPER_EXCEPTION
]);

const NETWORK_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** True when the same statement may succeed later (server busy or unreachable), false for errors in the request. */
export function isRetriableClickHouseError(err: unknown): boolean {
  if (err instanceof ClickHouseError) return RETRIABLE_CODES.has(err.code);
  const e = err as { code?: string; message?: string } | undefined;
  if (e?.code && NETWORK_ERRNOS.has(e.code)) return true;
  return /timeout|socket hang up|ECONNREFUSED|ECONNRESET/i.test(e?.message ?? '');
}

export { ClickHouseError };
