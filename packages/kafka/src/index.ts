export { createKafkaClient, type KafkaClient, type KafkaSettings } from './kafka-client';
export { ensureTopics, consumerLag } from './topic-admin';
export { AvroProducer, type OutgoingRecord, type ProducerOptions } from './avro-producer';
export { BatchConsumer, type BatchConsumerOptions, type ConsumedRecord, type Subscription } from './batch-consumer';
export { DeadLetterPublisher, rejectionOf, type Rejection } from './dead-letter';
export { followTopic, type TopicFollower } from './topic-follower';
export { connectStage, type KafkaStage } from './kafka-stage';
