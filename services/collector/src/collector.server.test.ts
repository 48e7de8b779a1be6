import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { topicsFor } from '@telltale/contracts';
import type { AvroProducer, DeadLetterPublisher } from '@telltale/kafka';
import { createLogger, createMetricsRegistry } from '@telltale/runtime';
import { buildCollectorServer } from './collector.server';

// The broker's side is faked here to reach the path a real broker rarely takes on demand: no acknowledgement.
// The integration test covers the acknowledged path against the real broker.
function server(send: () => Promise<void>) {
  return buildCollectorServer({
    producer: { send } as unknown as AvroProducer,
    deadLetters: { publish: send } as unknown as DeadLetterPublisher,
    topics: topicsFor(''),
    logger: createLogger('test', 'silent'),
    registry: createMetricsRegistry('collector'),
    health: {},
    maxBodyBytes: 64 * 1024,
    maxBatchEvents: 10,
    keepIp: false,
  });
}

async function post(app: FastifyInstance, batch: unknown[]) {
  if (!app.server.listening) await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return fetch(`http://127.0.0.1:${port}/v1/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ batch }),
  });
}

describe('collector without a broker acknowledgement', () => {
  it('answers 503 with Retry-After, so clients retry with the same messageIds', async () => {
    const app = server(() => Promise.reject(new Error('KafkaJSNumberOfRetriesExceeded')));
    const res = await post(app, [{ type: 'page', userId: 'u', messageId: 'm' }]);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(await res.json()).toEqual({ error: 'unavailable', field: null, reason: 'event log unavailable, retry with the same messageIds' });
    await app.close();
  });

  it('answers 200 only once the send resolved', async () => {
    let acknowledge: (() => void) | undefined;
    let sent!: () => void;
    const sendCalled = new Promise<void>((resolve) => (sent = resolve));
    const app = server(
      () =>
        new Promise<void>((resolve) => {
          acknowledge = resolve;
          sent();
        }),
    );
    let answered = false;
    const pending = post(app, [{ type: 'page', userId: 'u' }]).then((r) => {
      answered = true;
      return r;
    });
    await sendCalled;
    expect(answered).toBe(false);
    acknowledge!();
    expect((await pending).status).toBe(200);
    await app.close();
  });
});
