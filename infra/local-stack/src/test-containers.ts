import type { LocalClickHouse, LocalKafka } from './infrastructure';

// Images for the Docker path: Confluent Platform 8.1 is Apache Kafka 4.1 in KRaft mode (what @testcontainers/kafka
// drives), and a current ClickHouse server.
const KAFKA_IMAGE = 'confluentinc/cp-kafka:8.1.0';
const CLICKHOUSE_IMAGE = 'clickhouse/clickhouse-server:25.8';

export interface ContainerInfra {
  kafka: LocalKafka;
  clickhouse: LocalClickHouse & { user: string; password: string };
}

/**
 * For machines with a Docker engine: the same broker and engine as containers. Loaded only when asked for
 * (TEST_INFRA=testcontainers), so machines without Docker never touch the Docker client.
 */
export async function startTestContainers(): Promise<ContainerInfra> {
  const { KafkaContainer } = await import('@testcontainers/kafka');
  const { ClickHouseContainer } = await import('@testcontainers/clickhouse');
  const [kafka, clickhouse] = await Promise.all([
    new KafkaContainer(KAFKA_IMAGE).withKraft().withEnvironment({ KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false' }).start(),
    new ClickHouseContainer(CLICKHOUSE_IMAGE).start(),
  ]);
  return {
    kafka: { brokers: `${kafka.getHost()}:${kafka.getMappedPort(9093)}`, stop: async () => void (await kafka.stop()) },
    clickhouse: {
      url: clickhouse.getHttpUrl(),
      user: clickhouse.getUsername(),
      password: clickhouse.getPassword(),
      stop: async () => void (await clickhouse.stop()),
    },
  };
}
