export {
  createClickHouseClient,
  clickhouseEnv,
  settingsFromEnv,
  toClickHouseTime,
  type ClickHouseClient,
  type ClickHouseSettings,
  type ReadOnlyMode,
} from './clickhouse-client';
export { isRetriableClickHouseError, ClickHouseError } from './clickhouse-errors';
export { migrate, readMigrations, MIGRATIONS_DIR, type Migration } from './migrations';
