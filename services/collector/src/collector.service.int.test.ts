import { request } from 'node:https';
import { ConfigError, startService, type ServiceHandle } from '@telltale/runtime';
import { freePort, readTopicUntil, selfSignedCertificate, testId, testLogger, testStage, type SelfSignedCertificate } from '@telltale/testing';
import type { CollectorConfig } from './collector.config';
import { collectorService } from './collector.service';
import { Pseudonymiser } from './event-privacy';

const SECRET = 'service-test-secret-0123456789abcdef0123';

/** One POST over HTTPS trusting `ca`: the status and the body. */
function postHttps(port: number, ca: string, body: unknown): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/v1/batch', method: 'POST', ca, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as unknown }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

describe('the collector service with HTTPS and pseudonymisation from its environment', () => {
  let cert: SelfSignedCertificate;
  let collector: ServiceHandle<CollectorConfig> | undefined;
  afterAll(async () => {
    await collector?.stop();
    cert?.remove();
  });

  it('serves HTTPS from COLLECTOR_TLS_* and writes pseudonyms from COLLECTOR_PSEUDONYMISE_SECRET', async () => {
    cert = selfSignedCertificate();
    const prefix = `${testId('collector_svc')}.`;
    const stage = await testStage(prefix, 'test');
    await stage.producer.disconnect();
    const port = await freePort();
    collector = await startService(collectorService, {
      env: {
        KAFKA_BROKERS: process.env.KAFKA_BROKERS,
        TOPIC_PREFIX: prefix,
        PORT: String(port),
        HOST: '127.0.0.1',
        COLLECTOR_TLS_CERT_FILE: cert.certFile,
        COLLECTOR_TLS_KEY_FILE: cert.keyFile,
        COLLECTOR_PSEUDONYMISE_SECRET: SECRET,
      },
      logger: testLogger(),
    });
    const res = await postHttps(port, cert.cert, { batch: [{ type: 'page', anonymousId: 'svc-anon', messageId: 'svc-1' }] });
    expect(res).toEqual({ status: 200, body: { success: true, accepted: 1 } });
    const raw = await readTopicUntil(stage.client, stage.topics.rawEvents, (r) => r.length >= 1);
    expect(raw.map((r) => [r.key, r.value.anonymousId])).toEqual([[new Pseudonymiser(SECRET).id('svc-anon'), new Pseudonymiser(SECRET).id('svc-anon')]]);
  });

  it('does not start with a certificate and no key, naming the missing variable', async () => {
    const start = startService(collectorService, {
      env: { KAFKA_BROKERS: process.env.KAFKA_BROKERS, PORT: String(await freePort()), COLLECTOR_TLS_CERT_FILE: cert.certFile },
      logger: testLogger(),
    });
    await expect(start).rejects.toThrow(ConfigError);
    await expect(start).rejects.toThrow(/COLLECTOR_TLS_KEY_FILE: required with COLLECTOR_TLS_CERT_FILE/);
  });
});
