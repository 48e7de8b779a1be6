import type { FastifyInstance } from 'fastify';
import { topicsFor, type RawEvent, type Topic } from '@telltale/contracts';
import type { AvroProducer, DeadLetterPublisher, OutgoingRecord, Rejection } from '@telltale/kafka';
import type { CollectorDeps } from './collector.server';
import { buildTestCollectorServer } from './collector.test-server';

export interface UnitCollector {
  app: FastifyInstance;
  /** Every event the fake broker acknowledged, in order. */
  produced: RawEvent[];
  deadLettered: Rejection[];
}

/**
 * A collector whose broker is a fake that acknowledges at once, but encodes every record with the real Avro codec
 * first, as the real producer does: a value the schema refuses fails here too. The acknowledged path on the real
 * broker is covered by the integration tests.
 */
export function unitCollector(overrides: Partial<CollectorDeps> = {}): UnitCollector {
  const produced: RawEvent[] = [];
  const deadLettered: Rejection[] = [];
  const producer = {
    sendFitting: (topic: Topic<RawEvent>, records: OutgoingRecord<RawEvent>[]) => {
      for (const r of records) topic.codec.encode(r.value);
      produced.push(...records.map((r) => r.value));
      return Promise.resolve([]);
    },
  } as unknown as AvroProducer;
  const deadLetters = {
    publish: (rejections: Rejection[]) => {
      deadLettered.push(...rejections);
      return Promise.resolve();
    },
  } as unknown as DeadLetterPublisher;
  const app = buildTestCollectorServer({
    producer,
    deadLetters,
    topics: topicsFor(''),
    ...overrides,
  });
  return { app, produced, deadLettered };
}
