import { ConfigError } from '@telltale/runtime';
import { loadConsoleConfig, parseMetricsTarget } from './console.config';

describe('console config', () => {
  it('reads metrics targets as name=url pairs, trailing slashes dropped', () => {
    const config = loadConsoleConfig({ CONSOLE_METRICS_TARGETS: 'collector=http://127.0.0.1:8080/, sink=http://sink:9102' });
    expect(config.CONSOLE_METRICS_TARGETS).toEqual([
      { name: 'collector', url: 'http://127.0.0.1:8080' },
      { name: 'sink', url: 'http://sink:9102' },
    ]);
  });

  it('defaults to the five stages on their default ports, and readonly=1 on every query', () => {
    const config = loadConsoleConfig({});
    expect(config.CONSOLE_METRICS_TARGETS.map((t) => t.name)).toEqual(['collector', 'enricher', 'sink', 'trainer', 'scorer']);
    expect(config.CONSOLE_CLICKHOUSE_READONLY).toBe('setting');
    expect(config.PORT).toBe(8090);
  });

  it.each([['sink'], ['sink=ftp://x:1'], ['Sink=http://x:1'], ['=http://x:1'], ['sink=not a url']])('refuses the target %j', (item) => {
    expect(parseMetricsTarget(item)).toBeUndefined();
    expect(() => loadConsoleConfig({ CONSOLE_METRICS_TARGETS: item })).toThrow(ConfigError);
    expect(() => loadConsoleConfig({ CONSOLE_METRICS_TARGETS: item })).toThrow(/CONSOLE_METRICS_TARGETS=.*name=http/);
  });

  it('refuses a refresh faster than 250 ms and an unknown read-only mode, naming the variable', () => {
    expect(() => loadConsoleConfig({ CONSOLE_REFRESH_MS: '100' })).toThrow(/CONSOLE_REFRESH_MS="100"/);
    expect(() => loadConsoleConfig({ CONSOLE_CLICKHOUSE_READONLY: 'maybe' })).toThrow(/CONSOLE_CLICKHOUSE_READONLY="maybe"/);
  });
});
