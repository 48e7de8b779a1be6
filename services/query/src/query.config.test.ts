import { ConfigError } from '@telltale/runtime';
import { loadQueryConfig } from './query.config';

describe('query config', () => {
  it('requires read keys, naming the variable', () => {
    expect(() => loadQueryConfig({})).toThrow(ConfigError);
    expect(() => loadQueryConfig({})).toThrow(/QUERY_READ_KEYS: required/);
    expect(() => loadQueryConfig({ QUERY_READ_KEYS: 'short:dev' })).toThrow(/QUERY_READ_KEYS="short:dev"/);
  });

  it('reads key:name pairs and defaults the rest', () => {
    const c = loadQueryConfig({ QUERY_READ_KEYS: 'rk_dev_0123:dev, rk_ops_4567:ops' });
    expect(c.QUERY_READ_KEYS).toEqual([
      { key: 'rk_dev_0123', name: 'dev' },
      { key: 'rk_ops_4567', name: 'ops' },
    ]);
    expect(c.PORT).toBe(8070);
    expect(c.QUERY_CLICKHOUSE_READONLY).toBe('setting');
  });
});
