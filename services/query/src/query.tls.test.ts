import { get } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Analytics } from '@telltale/queries';
import { createLogger, createMetricsRegistry, loadTlsFiles } from '@telltale/runtime';
import { selfSignedCertificate } from '@telltale/testing';
import { buildQueryServer } from './query.server';
import { ReadKeys } from './read-keys';

describe('query API over HTTPS', () => {
  it('answers over TLS with the configured certificate, trusted as its own CA', async () => {
    const cert = selfSignedCertificate();
    // /healthz asks nothing of ClickHouse: no analytics needed.
    const app = buildQueryServer({
      analytics: {} as Analytics,
      readKeys: new ReadKeys([], { perSecond: 1, burst: 1 }),
      logger: createLogger('test', 'silent'),
      registry: createMetricsRegistry('query'),
      health: {},
      https: loadTlsFiles('QUERY', cert.certFile, cert.keyFile),
    });
    try {
      await app.listen({ port: 0, host: '127.0.0.1' });
      const port = (app.server.address() as AddressInfo).port;
      const status = await new Promise<number>((resolve, reject) => {
        get({ host: '127.0.0.1', port, path: '/healthz', ca: cert.cert }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        }).on('error', reject);
      });
      expect(status).toBe(200);
    } finally {
      await app.close();
      cert.remove();
    }
  });
});
