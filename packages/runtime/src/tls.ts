import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { ConfigError } from './config';

/** What node's https.createServer (and fastify's `https` option) takes. */
export interface TlsFiles {
  cert: Buffer;
  key: Buffer;
}

/**
 * The certificate and key of `<PREFIX>_TLS_CERT_FILE` and `<PREFIX>_TLS_KEY_FILE`, read and checked at start: both or
 * neither (neither: null, plain HTTP), readable, PEM, and a key that belongs to the certificate. Each problem is a
 * ConfigError naming the variable, so a service never starts half-configured and fails at its first handshake.
 */
export function loadTlsFiles(prefix: string, certFile: string | undefined, keyFile: string | undefined): TlsFiles | null {
  const certVar = `${prefix}_TLS_CERT_FILE`;
  const keyVar = `${prefix}_TLS_KEY_FILE`;
  if (certFile === undefined && keyFile === undefined) return null;
  if (certFile === undefined || keyFile === undefined) {
    throw new ConfigError([`${certFile === undefined ? certVar : keyVar}: required with ${certFile === undefined ? keyVar : certVar} (set both for HTTPS, neither for HTTP)`]);
  }
  const read = (variable: string, path: string) => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new ConfigError([`${variable}=${JSON.stringify(path)}: ${(err as Error).message}`]);
    }
  };
  const files = { cert: read(certVar, certFile), key: read(keyVar, keyFile) };
  try {
    createSecureContext(files);
  } catch (err) {
    // The message (e.g. "key values mismatch", "no start line") names no file: say which pair.
    throw new ConfigError([`${certVar} / ${keyVar}: not a usable PEM certificate and key pair: ${(err as Error).message}`]);
  }
  return files;
}
