import { ConfigError } from '@telltale/runtime';
import { loadCollectorConfig } from './collector.config';

describe('collector config', () => {
  it('defaults to any origin and splits a list', () => {
    expect(loadCollectorConfig({}).COLLECTOR_CORS_ORIGINS).toEqual(['*']);
    expect(loadCollectorConfig({ COLLECTOR_CORS_ORIGINS: 'https://shop.example, http://localhost:3000' }).COLLECTOR_CORS_ORIGINS).toEqual([
      'https://shop.example',
      'http://localhost:3000',
    ]);
  });

  it('refuses an origin with a path', () => {
    expect(() => loadCollectorConfig({ COLLECTOR_CORS_ORIGINS: 'https://shop.example/app' })).toThrow(ConfigError);
    expect(() => loadCollectorConfig({ COLLECTOR_CORS_ORIGINS: 'https://shop.example/app' })).toThrow(/COLLECTOR_CORS_ORIGINS=.*expected \* or origins/);
  });
});
