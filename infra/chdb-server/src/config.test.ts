import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, REPO_ROOT, loadConfig } from './config';

describe('loadConfig', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'chdb-config-'));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('defaults to 127.0.0.1:8123 and <repo>/.local/chdb', () => {
    expect(loadConfig({})).toEqual({ host: '127.0.0.1', port: 8123, dataDir: path.join(REPO_ROOT, '.local', 'chdb'), logQueries: false });
  });

  it('reads the variables', () => {
    expect(loadConfig({ CHDB_PORT: '0', CHDB_HOST: '0.0.0.0', CHDB_DATA_DIR: tmp, CHDB_LOG_QUERIES: 'true' })).toEqual({
      host: '0.0.0.0',
      port: 0,
      dataDir: tmp,
      logQueries: true,
    });
  });

  it('names every bad variable', () => {
    const file = path.join(tmp, 'file');
    writeFileSync(file, 'x');
    let err: unknown;
    try {
      loadConfig({ CHDB_PORT: '81x', CHDB_HOST: 'http://x', CHDB_DATA_DIR: file });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems;
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/CHDB_PORT must be an integer from 0 to 65535.*"81x"/);
    expect(problems[1]).toMatch(/CHDB_HOST/);
    expect(problems[2]).toMatch(/CHDB_DATA_DIR .* is not a directory/);
    expect(() => loadConfig({ CHDB_PORT: '70000' })).toThrow(/CHDB_PORT/);
    expect(() => loadConfig({ CHDB_DATA_DIR: ' ' })).toThrow(/CHDB_DATA_DIR is set but empty/);
    expect(() => loadConfig({ CHDB_LOG_QUERIES: 'verbose' })).toThrow(/CHDB_LOG_QUERIES must be .*"verbose"/);
  });
});
