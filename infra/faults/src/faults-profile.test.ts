import { loadFaultsProfile, SCENARIOS } from './faults-profile';

describe('loadFaultsProfile', () => {
  test('short by default, every scenario', () => {
    const { profile, scenarios } = loadFaultsProfile({});
    expect(profile.name).toBe('short');
    expect([...scenarios]).toEqual([...SCENARIOS]);
  });

  test('the short crash list covers collector, enricher, sink and ClickHouse or Kafka; full kills at least 20 times', () => {
    const short = loadFaultsProfile({ FAULTS_PROFILE: 'short' }).profile;
    expect(short.crashTargets).toEqual(expect.arrayContaining(['collector', 'enricher', 'sink']));
    expect(short.crashTargets.some((t) => t === 'clickhouse' || t === 'kafka')).toBe(true);
    const full = loadFaultsProfile({ FAULTS_PROFILE: 'full' }).profile;
    expect(full.crashTargets.length).toBeGreaterThanOrEqual(20);
    expect(full.burstEvents).toBeGreaterThanOrEqual(100_000);
  });

  test('a subset by name; unknown names and profiles are refused', () => {
    expect([...loadFaultsProfile({ FAULTS_SCENARIOS: 'burst, crashes' }).scenarios]).toEqual(['burst', 'crashes']);
    expect(() => loadFaultsProfile({ FAULTS_SCENARIOS: 'burst,crash' })).toThrow(/unknown crash/);
    expect(() => loadFaultsProfile({ FAULTS_PROFILE: 'long' })).toThrow(/FAULTS_PROFILE="long"/);
  });
});
