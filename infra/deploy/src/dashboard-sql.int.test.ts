// Every ClickHouse query of the Grafana dashboards, as Grafana's ClickHouse plugin sends it (time macros expanded),
// runs on a migrated database in the real engine (chDB): the tables, views, columns and functions it names exist.
import { createTestDatabase, type TestDatabase } from '@telltale/testing';
import { dashboards, expandGrafanaSql, queryPanels } from './deployment-files';

const clickhousePanels = dashboards().flatMap(({ file, dashboard }) =>
  queryPanels(dashboard)
    .filter((p) => p.datasource?.type === 'grafana-clickhouse-datasource')
    .flatMap((p) => (p.targets ?? []).map((t) => [`${file} / ${p.title}`, t.rawSql!] as const)),
);

describe('Grafana ClickHouse panels', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db?.drop());

  test('there are some', () => {
    expect(clickhousePanels.length).toBeGreaterThan(0);
  });

  test.each(clickhousePanels)('%s runs', async (_, sql) => {
    const toS = Math.floor(Date.now() / 1000);
    const rs = await db.client.query({ query: expandGrafanaSql(sql, { fromS: toS - 3600, toS }), format: 'JSONEachRow' });
    expect(Array.isArray(await rs.json())).toBe(true);
  });
});
