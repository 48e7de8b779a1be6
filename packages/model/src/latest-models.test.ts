import { LatestModels } from './latest-models';

describe('LatestModels', () => {
  it('keeps the highest version per name and ignores older ones arriving late', () => {
    const models = new LatestModels<{ name: string; version: number; tag: string }>();
    expect(models.versionOf('a')).toBe(0);
    expect(models.offer({ name: 'a', version: 2, tag: 'a2' })).toBe(true);
    expect(models.offer({ name: 'a', version: 1, tag: 'a1' })).toBe(false);
    expect(models.offer({ name: 'a', version: 2, tag: 'a2-again' })).toBe(false);
    expect(models.offer({ name: 'b', version: 1, tag: 'b1' })).toBe(true);
    expect(models.get('a')?.tag).toBe('a2');
    expect(models.offer({ name: 'a', version: 3, tag: 'a3' })).toBe(true);
    expect(models.versionOf('a')).toBe(3);
    expect(models.get('b')?.tag).toBe('b1');
    expect(models.get('c')).toBeUndefined();
  });
});
