import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '@telltale/runtime';
import { createClickHouseClient, type ClickHouseSettings } from './clickhouse-client';

/**
 * TELLTALE_MIGRATIONS_DIR, else dist/migrations beside a production bundle (the build copies them there, and
 * __dirname is then dist/), else the repository's infra/clickhouse/migrations.
 */
export const MIGRATIONS_DIR =
  process.env.TELLTALE_MIGRATIONS_DIR ??
  (existsSync(path.join(__dirname, 'migrations')) ? path.join(__dirname, 'migrations') : path.resolve(__dirname, '../../../infra/clickhouse/migrations'));

export interface Migration {
  version: string;
  name: string;
  statements: string[];
  checksum: string;
}

/** Files named NNN_description.sql, applied in order; statements end with `;` at the end of a line. */
export function readMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d+_[\w-]+\.sql$/.test(f))
    .sort()
    .map((file) => {
      const sql = readFileSync(path.join(dir, file), 'utf8');
      const statements = sql
        .split(/;\s*$/m)
        .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
        .filter(Boolean);
      const [version, ...rest] = file.replace(/\.sql$/, '').split('_');
      return { version: version!, name: rest.join('_'), statements, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

/**
 * Creates the database, then applies the migrations not yet recorded in `schema_migrations`. Statements are
 * written to be idempotent (IF NOT EXISTS), so two processes racing here end in the same schema.
 * An applied migration whose file changed is an error: write a new migration instead.
 */
export async function migrate(settings: ClickHouseSettings, logger: Logger, dir = MIGRATIONS_DIR): Promise<string[]> {
  const bootstrap = createClickHouseClient(settings, { database: 'default', logger });
  try {
    await bootstrap.command({ query: `CREATE DATABASE IF NOT EXISTS ${settings.database}` });
  } finally {
    await bootstrap.close();
  }
  const client = createClickHouseClient(settings, { logger });
  try {
    await client.command({
      query: `CREATE TABLE IF NOT EXISTS schema_migrations
              (version String, name String, checksum String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3))
              ENGINE = MergeTree ORDER BY version`,
    });
    const applied = new Map(
      (
        await (await client.query({ query: 'SELECT version, checksum FROM schema_migrations', format: 'JSONEachRow' })).json<{
          version: string;
          checksum: string;
        }>()
      ).map((r) => [r.version, r.checksum]),
    );
    const done: string[] = [];
    for (const m of readMigrations(dir)) {
      const previous = applied.get(m.version);
      if (previous !== undefined) {
        if (previous !== m.checksum) {
          throw new Error(`migration ${m.version}_${m.name} was changed after it was applied; add a new migration instead`);
        }
        continue;
      }
      for (const statement of m.statements) await client.command({ query: statement });
      await client.insert({
        table: 'schema_migrations',
        values: [{ version: m.version, name: m.name, checksum: m.checksum }],
        format: 'JSONEachRow',
      });
      logger.info({ version: m.version, name: m.name }, 'applied migration');
      done.push(`${m.version}_${m.name}`);
    }
    return done;
  } finally {
    await client.close();
  }
}
