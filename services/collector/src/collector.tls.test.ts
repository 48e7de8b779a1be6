import { request } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { loadTlsFiles } from '@telltale/runtime';
import { selfSignedCertificate, type SelfSignedCertificate } from '@telltale/testing';
import { unitCollector, type UnitCollector } from './collector.unit-harness';

/** One POST over HTTPS with node:https, trusting `ca` (or the system's CAs when undefined). */
function postHttps(port: number, ca: string | undefined, body: unknown): Promise<{ status: number; body: unknown; protocol: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/v1/batch', method: 'POST', ca, headers: { 'content-type': 'application/json' } }, (res) => {
      // Read now: the socket goes back to the agent once the answer has been read.
      const protocol = (res.socket as TLSSocket).getProtocol() ?? '';
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as unknown, protocol }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

describe('collector over HTTPS', () => {
  let cert: SelfSignedCertificate;
  let collector: UnitCollector;
  let port: number;
  beforeAll(async () => {
    cert = selfSignedCertificate();
    // The files as the service loads them from COLLECTOR_TLS_CERT_FILE / COLLECTOR_TLS_KEY_FILE.
    collector = unitCollector({ https: loadTlsFiles('COLLECTOR', cert.certFile, cert.keyFile) });
    await collector.app.listen({ port: 0, host: '127.0.0.1' });
    port = (collector.app.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await collector?.app.close();
    cert?.remove();
  });

  it('accepts events over TLS from a client that trusts the certificate', async () => {
    const res = await postHttps(port, cert.cert, { batch: [{ type: 'page', anonymousId: 'a-1', messageId: 'tls-1' }] });
    expect(res).toEqual({ status: 200, body: { success: true, accepted: 1 }, protocol: expect.stringMatching(/^TLSv1\.[23]$/) });
    expect(collector.produced.map((e) => e.messageId)).toEqual(['tls-1']);
  });

  it('is refused by a client that does not trust it, and answers no plain HTTP', async () => {
    await expect(postHttps(port, undefined, { batch: [] })).rejects.toThrow(/self-signed certificate/);
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
    expect(collector.produced.map((e) => e.messageId)).toEqual(['tls-1']);
  });
});
