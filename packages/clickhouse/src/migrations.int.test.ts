import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestDatabase, testId, testLogger, type TestDatabase } from '@telltale/testing';
import { createClickHouseClient } from './clickhouse-client';
import { migrate, readMigrations } from './migrations';

describe('migrate on the real engine', () => {
  let db: TestDatabase;
  afterEach(() => db?.drop());

  it('applies the repository migrations once and records them', async () => {
    db = await createTestDatabase(); // runs migrate() once
    await expect(migrate(db.settings, testLogger())).resolves.toEqual([]);
    const rs = await db.client.query({ query: 'SELECT version FROM schema_migrations ORDER BY version', format: 'JSONEachRow' });
    expect((await rs.json<{ version: string }>()).map((r) => r.version)).toEqual(readMigrations().map((m) => m.version));
  });

  it('refuses to run when an applied migration was edited', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'migrations-'));
    writeFileSync(path.join(dir, '001_t.sql'), 'CREATE TABLE IF NOT EXISTS t (x UInt8) ENGINE = MergeTree ORDER BY x;\n');
    const settings = { url: process.env.CLICKHOUSE_URL!, user: 'default', password: '', database: testId('db') };
    db = { settings, client: createClickHouseClient(settings, { database: 'default' }), drop: async () => {
      await db.client.command({ query: `DROP DATABASE IF EXISTS ${settings.database}` });
      await db.client.close();
    } };
    await expect(migrate(settings, testLogger(), dir)).resolves.toEqual(['001_t']);
    writeFileSync(path.join(dir, '001_t.sql'), 'CREATE TABLE IF NOT EXISTS t (x UInt16) ENGINE = MergeTree ORDER BY x;\n');
    await expect(migrate(settings, testLogger(), dir)).rejects.toThrow(/001_t was changed after it was applied/);
  });
});
