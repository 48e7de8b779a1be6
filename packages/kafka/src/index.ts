export { createKafkaClient, type KafkaClient, type KafkaSettings } from './kafka-client';
export { ensureTopics, consumerLag, describeProduceLimits, DEFAULT_MAX_MESSAGE_BYTES, type ProduceLimits } from './topic-admin';
export { AvroProducer, type EncodedRecord, type OutgoingRecord, type ProducerOptions } from './avro-producer';
export { BatchConsumer, type BatchConsumerOptions, type ChunkPosition, type ConsumedRecord, type Subscription } from './batch-consumer';
export { DeadLetterPublisher, rejectionOf, type Rejection } from './dead-letter';
export { followTopic, type FollowOptions, type TopicFollower } from './topic-follower';
export { openFencedWriter, ProducerFencedError, type FencedWriter } from './fenced-writer';
export {
  openTransactionWriter,
  readPartition,
  type ConsumedOffsets,
  type TransactionWriter,
  type TransactionWriterOptions,
  type TransactionRecord,
} from './transaction-writer';
export type { GroupMetadata } from './txn-offset-commit-v3';
export { connectStage, type KafkaStage } from './kafka-stage';
export {
  KafkaProduceError,
  RecordTooLargeError,
  isMessageTooLarge,
  isRetriableKafkaError,
  type OversizeRecord,
} from './kafka-errors';
export { recordBytes } from './produce-request-plan';
export { measureKafkajsFastPaths, type FastPathsMeasurement } from './kafkajs-fast-paths.measure';
