import { ConfigError, commonEnv, env, loadConfig } from './config';

describe('loadConfig', () => {
  const shape = { ...commonEnv, PORT: env.port(8080), BATCH: env.int(100, 1), DRY_RUN: env.boolean(false) };

  it('applies defaults when variables are unset or empty', () => {
    const config = loadConfig(shape, { PORT: '' });
    expect(config).toEqual({
      KAFKA_BROKERS: ['127.0.0.1:9092'],
      TOPIC_PREFIX: '',
      LOG_LEVEL: 'info',
      PORT: 8080,
      BATCH: 100,
      DRY_RUN: false,
    });
  });

  it('coerces and splits values', () => {
    const config = loadConfig(shape, { KAFKA_BROKERS: 'a:1, b:2', PORT: '9000', DRY_RUN: '1' });
    expect(config.KAFKA_BROKERS).toEqual(['a:1', 'b:2']);
    expect(config.PORT).toBe(9000);
    expect(config.DRY_RUN).toBe(true);
  });

  it('names every bad variable, its value and why', () => {
    expect.assertions(4);
    try {
      loadConfig(shape, { PORT: '80.5', BATCH: '0', KAFKA_BROKERS: 'nohostport', LOG_LEVEL: 'loud' });
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const text = (err as Error).message;
      expect(text).toMatch(/PORT="80.5": .*integer/);
      expect(text).toMatch(/BATCH="0": .*greater than or equal to 1/);
      expect(text).toMatch(/KAFKA_BROKERS="nohostport": expected host:port/);
    }
  });
});
