import { sessionBucket, splitBySession } from './session-split';

const rows = Array.from({ length: 4000 }, (_, i) => ({ session: `s-${i % 1000}`, i }));
const bySession = (r: { session: string }) => r.session;

describe('splitBySession', () => {
  it('never puts one session on both sides', () => {
    const { train, test } = splitBySession(rows, bySession, { testFraction: 0.25, seed: 'x' });
    const trainSessions = new Set(train.map(bySession));
    expect(test.some((r) => trainSessions.has(r.session))).toBe(false);
    expect(train.length + test.length).toBe(rows.length);
  });

  it('holds out about testFraction of sessions', () => {
    const { test } = splitBySession(rows, bySession, { testFraction: 0.25, seed: 'x' });
    const share = new Set(test.map(bySession)).size / 1000;
    expect(share).toBeGreaterThan(0.2);
    expect(share).toBeLessThan(0.3);
  });

  it('is deterministic for a seed, independent of row order, and changes with the seed', () => {
    const a = splitBySession(rows, bySession, { testFraction: 0.25, seed: 'x' });
    const b = splitBySession([...rows].reverse(), bySession, { testFraction: 0.25, seed: 'x' });
    const c = splitBySession(rows, bySession, { testFraction: 0.25, seed: 'y' });
    const ids = (t: typeof rows) => t.map((r) => r.i).sort((p, q) => p - q);
    expect(ids(b.test)).toEqual(ids(a.test));
    expect(ids(c.test)).not.toEqual(ids(a.test));
    expect(sessionBucket('s-1', 'x')).toBe(sessionBucket('s-1', 'x'));
  });

  it('rejects a fraction outside (0, 1)', () => {
    expect(() => splitBySession(rows, bySession, { testFraction: 1, seed: 'x' })).toThrow(/testFraction/);
    expect(() => splitBySession(rows, bySession, { testFraction: 0, seed: 'x' })).toThrow(/testFraction/);
  });
});
