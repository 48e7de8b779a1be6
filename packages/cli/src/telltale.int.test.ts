import { createClickHouseClient } from '@telltale/clickhouse';
import { Analytics } from '@telltale/queries';
import { insertFixture } from '@telltale/queries/src/analytics.fixture';
import { createTestDatabase, type TestDatabase } from '@telltale/testing';
import { runCli } from './telltale';

// The CLI against the hand-counted fixture of @telltale/queries (its numbers are explained in analytics.int.test.ts).
describe('pnpm telltale query', () => {
  let db: TestDatabase;
  let analytics: () => Analytics;
  beforeAll(async () => {
    db = await createTestDatabase();
    await insertFixture(db.client);
    const client = createClickHouseClient(db.settings, { readOnly: 'setting' });
    analytics = () => new Analytics(client);
  });
  afterAll(() => db?.drop());

  it('prints a funnel as a table, and the same answer as --json', async () => {
    const table = await runCli(['query', 'funnel', '--from', '2024-05-01', '--to', '2024-05-02'], analytics);
    expect(table.code).toBe(0);
    expect(table.out).toMatch(/^all\s+sessions\s+6/m);
    expect(table.out).toMatch(/^\s+add_to_cart\s+2\s+40\.0%\s+33\.3%$/m);
    expect(table.out).toContain("conversion (the chain's product): 16.7%");

    const json = await runCli(['query', 'funnel', '--from', '2024-05-01', '--to', '2024-05-02', '--by', 'device_type', '--json'], analytics);
    const parsed = JSON.parse(json.out) as { overall: { steps: Array<{ count: number }> }; by: { groups: Array<{ value: string }> } };
    expect(parsed.overall.steps.map((s) => s.count)).toEqual([5, 2, 1]);
    expect(parsed.by.groups.map((g) => g.value)).toEqual(['mobile', 'desktop', 'tablet']);
  });

  it('answers every question', async () => {
    const run = (...args: string[]) => runCli(['query', ...args, '--from', '2024-05-01', '--to', '2024-05-06'], analytics);
    expect((await run('retention', '--periods', '2')).out).toMatch(/^2024-05-03\s+1\s+1 \(100\.0%\)\s+0 \(0\.0%\)\s+0 \(0\.0%\)$/m);
    expect((await run('active', '--unit', 'week')).out).toMatch(/^2024-04-29\s+8$/m);
    expect((await run('top', 'campaigns')).out).toMatch(/^spring\s+4\s+2\s+2$/m);
    expect((await run('calibration')).out).toMatch(/^0\.1–0\.2\s+2\s+0\.1350\s+0\.5000$/m);
    const person = await runCli(['query', 'person', 'anon-2'], analytics);
    expect(person.out).toContain('person fay (userId fay); anonymous ids: anon-1, anon-2');
    expect(person.out).toMatch(/^plan\s+"pro"/m);
    const prediction = await runCli(['query', 'prediction', 'anon-1'], analytics);
    expect(prediction.out).toMatch(/^P\(purchase\) 0\.4000 for fay \(key anon-2\), model purchase_propensity v2/);
    expect(prediction.out).toMatch(/^session_duration_s\s+150\s+\+0\.900$/m);
  });

  it('exits 1 for an unknown person and 2 for bad input, naming the option', async () => {
    expect(await runCli(['query', 'person', 'nobody'], analytics)).toEqual({ code: 1, out: 'no event of nobody is known' });
    expect(await runCli(['query', 'funnel', '--steps', 'page_view'], analytics)).toEqual({ code: 2, out: '--steps: at least 2 steps' });
    expect((await runCli(['query', 'top'], analytics)).code).toBe(2);
    expect((await runCli(['query', 'funnel', '--colour'], analytics)).out).toMatch(/Unknown option '--colour'/);
    expect((await runCli(['query', 'sales'], analytics)).code).toBe(2);
  });
});
