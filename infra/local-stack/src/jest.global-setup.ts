import path from 'node:path';
import { ensureClickHouse, ensureKafka, REPO_ROOT, type LocalClickHouse, type LocalKafka } from './infrastructure';
import { startTestContainers } from './test-containers';

// Integration tests run against a real broker and a real ClickHouse engine, from one of:
// - KAFKA_BROKERS / CLICKHOUSE_URL when set (a running cluster or server);
// - TEST_INFRA=local (default): the local KRaft broker from infra/kafka and the embedded chDB server, on ports and
//   data dirs other than `pnpm start`'s, so a running local pipeline is left alone;
// - TEST_INFRA=testcontainers: Kafka and ClickHouse containers, where a Docker engine runs.
// Every test still makes its own topics, consumer groups and database.
declare global {
  var __telltaleInfra: { kafka: LocalKafka; clickhouse: LocalClickHouse; scratchDirs: string[] } | undefined;
}

const MODES = ['local', 'testcontainers'] as const;

export default async function globalSetup(): Promise<void> {
  const mode = process.env.TEST_INFRA ?? 'local';
  if (!(MODES as readonly string[]).includes(mode)) {
    throw new Error(`TEST_INFRA=${JSON.stringify(mode)}: expected one of ${MODES.join(', ')}`);
  }

  let kafka: LocalKafka;
  let clickhouse: LocalClickHouse;
  const scratchDirs: string[] = [];
  if (mode === 'testcontainers' && !(process.env.KAFKA_BROKERS && process.env.CLICKHOUSE_URL)) {
    const containers = await startTestContainers();
    kafka = containers.kafka;
    clickhouse = containers.clickhouse;
    process.env.CLICKHOUSE_USER = containers.clickhouse.user;
    process.env.CLICKHOUSE_PASSWORD = containers.clickhouse.password;
  } else {
    const local = path.join(REPO_ROOT, '.local');
    kafka = await ensureKafka({ port: 19092, dataDir: path.join(local, 'kafka-test'), freshLog: true });
    // A fresh ClickHouse data dir per run, removed at teardown: tests never see an earlier run's tables.
    const chdbDir = path.join(local, `chdb-test-${process.pid}`);
    scratchDirs.push(chdbDir);
    clickhouse = await ensureClickHouse({ port: 18123, dataDir: chdbDir, logFile: path.join(local, 'chdb-test.log') });
  }
  // Workers are forked after global setup, so they inherit these.
  process.env.KAFKA_BROKERS = kafka.brokers;
  process.env.CLICKHOUSE_URL = clickhouse.url;
  globalThis.__telltaleInfra = { kafka, clickhouse, scratchDirs };
}
