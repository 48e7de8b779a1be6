import { ReadKeys } from './read-keys';

describe('ReadKeys', () => {
  const keys = [{ key: 'rk_secret_1', name: 'dev' }];

  it('takes a key as Bearer or as the Basic user name, and nothing else', () => {
    const r = new ReadKeys(keys, { perSecond: 1, burst: 1 });
    expect(r.authenticate('Bearer rk_secret_1')).toBe('dev');
    expect(r.authenticate(`Basic ${Buffer.from('rk_secret_1:').toString('base64')}`)).toBe('dev');
    expect(r.authenticate('Bearer rk_secret_2')).toBeUndefined();
    expect(r.authenticate('rk_secret_1')).toBeUndefined();
    expect(r.authenticate(undefined)).toBeUndefined();
  });

  it('allows the burst at once, then the sustained rate, and says when to retry', () => {
    let t = 0;
    const r = new ReadKeys(keys, { perSecond: 2, burst: 3 }, () => t);
    expect([r.take('dev'), r.take('dev'), r.take('dev')]).toEqual([null, null, null]);
    expect(r.take('dev')).toBe(1);
    t = 500; // one token back
    expect(r.take('dev')).toBeNull();
    expect(r.take('dev')).toBe(1);
  });
});
