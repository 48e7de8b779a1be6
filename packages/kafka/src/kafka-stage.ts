import { topicsFor, type Topics } from '@telltale/contracts';
import type { Logger, Registry } from '@telltale/runtime';
import { AvroProducer, type ProducerOptions } from './avro-producer';
import { DeadLetterPublisher } from './dead-letter';
import { createKafkaClient, type KafkaClient } from './kafka-client';
import { ensureTopics } from './topic-admin';

/** What every pipeline stage holds: its topic set, a client, a connected producer and its dead-letter route. */
export interface KafkaStage {
  topics: Topics;
  client: KafkaClient;
  producer: AvroProducer;
  deadLetters: DeadLetterPublisher;
}

/**
 * Connects a stage: creates any missing topic of the pipeline (so stages can start in any order), connects the
 * producer (learning how large a produce request may be), and names the stage in its client id and in the dead
 * letters it writes.
 */
export async function connectStage(opts: {
  stage: string;
  brokers: string[];
  topicPrefix: string;
  logger: Logger;
  producer?: ProducerOptions;
  /** Where records produced and dead letters are counted. */
  registry?: Registry;
}): Promise<KafkaStage> {
  const topics = topicsFor(opts.topicPrefix);
  const client = createKafkaClient({ brokers: opts.brokers, clientId: `telltale-${opts.stage}` }, opts.logger, { registry: opts.registry });
  await ensureTopics(client, Object.values(topics));
  const producer = new AvroProducer(client, { registry: opts.registry, ...opts.producer });
  // The producer sizes its requests by the smallest max.message.bytes of these topics (or opts.producer.maxRequestBytes).
  await producer.connect(Object.values(topics).map((t) => t.name));
  return { topics, client, producer, deadLetters: new DeadLetterPublisher(producer, topics, opts.stage, opts.registry) };
}
