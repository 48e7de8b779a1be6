import path from 'node:path';
import { ensureClickHouse, ensureKafka, REPO_ROOT, type LocalClickHouse, type LocalKafka } from './infrastructure';

// Integration tests run against a real broker and a real ClickHouse engine. Ports and data dirs differ from
// `pnpm start`'s so a running local pipeline is left alone. Every test still makes its own topics and tables.
declare global {
  var __telltaleInfra: { kafka: LocalKafka; clickhouse: LocalClickHouse } | undefined;
}

export default async function globalSetup(): Promise<void> {
  const local = path.join(REPO_ROOT, '.local');
  const kafka = await ensureKafka({ port: 19092, dataDir: path.join(local, 'kafka-test') });
  const clickhouse = await ensureClickHouse({
    port: 18123,
    dataDir: path.join(local, `chdb-test-${process.pid}`),
    logFile: path.join(local, 'chdb-test.log'),
  });
  // Workers are forked after global setup, so they inherit these.
  process.env.KAFKA_BROKERS = kafka.brokers;
  process.env.CLICKHOUSE_URL = clickhouse.url;
  globalThis.__telltaleInfra = { kafka, clickhouse };
}
