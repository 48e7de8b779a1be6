import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Topics } from '@telltale/contracts';
import type { KafkaClient } from '@telltale/kafka';
import { testId, testStage } from '@telltale/testing';
import type { CollectorDeps } from './collector.server';
import { buildTestCollectorServer } from './collector.test-server';

export interface TestCollector {
  topics: Topics;
  kafka: KafkaClient;
  app: FastifyInstance;
  url: string;
  close(): Promise<void>;
}

/** A collector on a free port, producing to topics of its own on the test broker (limits: 64 KiB, 10 events). */
export async function startTestCollector(name: string, overrides: Partial<CollectorDeps> = {}): Promise<TestCollector> {
  const stage = await testStage(`${testId(name)}.`, 'collector');
  const app = buildTestCollectorServer({
    producer: stage.producer,
    deadLetters: stage.deadLetters,
    topics: stage.topics,
    ...overrides,
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    topics: stage.topics,
    kafka: stage.client,
    app,
    url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
    close: async () => {
      await app.close();
      await stage.producer.disconnect();
    },
  };
}

