import type { AddressInfo } from 'node:net';
import { connectStage, type KafkaStage } from '@telltale/kafka';
import { brokersFromEnv, readTopicUntil, testId, testLogger } from '@telltale/testing';
import { buildTestCollectorServer } from './collector.test-server';

describe('collector with an event larger than the topic accepts', () => {
  // Requests of at most 16 KiB, as if events.raw had max.message.bytes of 17 KiB; the body limit (64 KiB) is larger.
  const maxRequestBytes = 16 * 1024;
  let stage: KafkaStage;
  let app: ReturnType<typeof buildTestCollectorServer>;
  let url: string;

  beforeAll(async () => {
    stage = await connectStage({
      stage: 'collector',
      brokers: brokersFromEnv(),
      topicPrefix: `${testId('collector_oversize')}.`,
      logger: testLogger(),
      producer: { maxRequestBytes },
    });
    app = buildTestCollectorServer({
      producer: stage.producer,
      deadLetters: stage.deadLetters,
      topics: stage.topics,
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await app.close();
    await stage.producer.disconnect();
  });

  it('refuses that event with 400 naming the field and the limit, accepts its neighbours, and dead-letters it cut to fit', async () => {
    const huge = { type: 'track', event: 'Huge', userId: 'kim', messageId: 'o-2', properties: { blob: 'z'.repeat(30_000) } };
    const res = await fetch(`${url}/v1/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        batch: [
          { type: 'track', event: 'Small', userId: 'kim', messageId: 'o-1' },
          huge,
          { type: 'track', event: 'Small', userId: 'kim', messageId: 'o-3' },
        ],
      }),
    });

    expect(res.status).toBe(400);
    const body = (await res.json()) as { field: string; reason: string; accepted: number; rejected: unknown[] };
    const reason = expect.stringMatching(new RegExp(`^record of \\d+ bytes exceeds the \\d+-byte limit of topic ${stage.topics.rawEvents.name.replace(/\./g, '\\.')}$`));
    expect(body).toEqual({
      error: 'invalid events',
      field: 'batch[1].properties',
      reason,
      accepted: 2,
      rejected: [{ index: 1, messageId: 'o-2', field: 'properties', reason }],
    });

    const raw = await readTopicUntil(stage.client, stage.topics.rawEvents, (r) => r.length >= 2);
    expect(raw.map((r) => r.value.messageId)).toEqual(['o-1', 'o-3']);

    const [dead] = await readTopicUntil(stage.client, stage.topics.deadLetters, (r) => r.length >= 1);
    const original = Buffer.from(JSON.stringify(huge));
    expect(dead!.value).toMatchObject({ stage: 'collector', field: 'properties' });
    expect(dead!.value.reason).toBe(`${body.reason} (payload truncated from ${original.length} bytes to fit the topic's limit)`);
    expect(Buffer.compare(dead!.value.payload, original.subarray(0, dead!.value.payload.length))).toBe(0);
  }, 60_000);
});
