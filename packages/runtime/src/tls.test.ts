import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from './config';
import { loadTlsFiles } from './tls';

describe('loadTlsFiles', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'runtime-tls-'));
  const file = (name: string) => path.join(dir, name);
  // Two self-signed certificates, made by openssl: a key that belongs to one, and one that does not.
  for (const name of ['a', 'b']) {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-keyout', file(`${name}.key`), '-out', file(`${name}.pem`)], { stdio: 'ignore' });
  }
  writeFileSync(file('junk.pem'), 'not a certificate');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is null without either variable (plain HTTP) and reads a matching pair', () => {
    expect(loadTlsFiles('X', undefined, undefined)).toBeNull();
    const files = loadTlsFiles('X', file('a.pem'), file('a.key'));
    expect(files?.cert.toString()).toMatch(/BEGIN CERTIFICATE/);
  });

  it.each([
    ['one without the other', file('a.pem'), undefined, /X_TLS_KEY_FILE: required with X_TLS_CERT_FILE/],
    ['the other without the one', undefined, file('a.key'), /X_TLS_CERT_FILE: required with X_TLS_KEY_FILE/],
    ['a missing file', file('none.pem'), file('a.key'), /X_TLS_CERT_FILE=".*none\.pem": ENOENT/],
    ['a key of another certificate', file('a.pem'), file('b.key'), /X_TLS_CERT_FILE \/ X_TLS_KEY_FILE: not a usable PEM certificate and key pair/],
    ['a file that is not PEM', file('junk.pem'), file('a.key'), /not a usable PEM/],
  ])('refuses %s, naming the variable', (_name, cert, key, message) => {
    expect(() => loadTlsFiles('X', cert, key)).toThrow(ConfigError);
    expect(() => loadTlsFiles('X', cert, key)).toThrow(message);
  });
});
