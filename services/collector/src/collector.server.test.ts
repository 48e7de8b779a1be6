import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { topicsFor } from '@telltale/contracts';
import type { AvroProducer, DeadLetterPublisher } from '@telltale/kafka';
import { buildTestCollectorServer } from './collector.test-server';

// The broker's side is faked here to reach the path a real broker rarely takes on demand: no acknowledgement.
// The integration test covers the acknowledged path against the real broker.
function server(send: () => Promise<void>) {
  return buildTestCollectorServer({
    producer: { sendFitting: () => send().then(() => []) } as unknown as AvroProducer,
    deadLetters: { publish: send } as unknown as DeadLetterPublisher,
    topics: topicsFor(''),
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
    // The order of what happened, server side: the producer's send called, the broker's acknowledgement, the reply.
    const events: string[] = [];
    let acknowledge!: () => void;
    let sendCalled!: () => void;
    const sent = new Promise<void>((resolve) => (sendCalled = resolve));
    const app = server(
      () =>
        new Promise<void>((resolve) => {
          events.push('send');
          acknowledge = () => {
            events.push('ack');
            resolve();
          };
          sendCalled();
        }),
    );
    app.addHook('onSend', async () => {
      events.push('reply');
    });
    const pending = post(app, [{ type: 'page', userId: 'u' }]);
    await sent;
    // TRICKY: a collector that did not wait for the send would reply within the microtasks after calling it; a few
    // turns of the event loop give such a reply every chance to happen before the acknowledgement.
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    acknowledge();
    expect((await pending).status).toBe(200);
    expect(events).toEqual(['send', 'ack', 'reply']);
    await app.close();
  });
});
