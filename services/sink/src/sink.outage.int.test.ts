import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startChdbServer, type ChdbServer } from '@telltale/chdb-server';
import { createClickHouseClient, migrate, type ClickHouseSettings } from '@telltale/clickhouse';
import { topicsFor, type CleanEvent } from '@telltale/contracts';
import { consumerLag, type AvroProducer, type KafkaClient } from '@telltale/kafka';
import { startService, type ServiceHandle } from '@telltale/runtime';
import { NO_CONTEXT_FIELDS, eventually, freePort, testId, testStage, testLogger } from '@telltale/testing';
import type { SinkConfig } from './sink.config';
import { sinkService } from './sink.service';

const T0 = Date.parse('2024-05-01T10:00:00.000Z');
const clean = (messageId: string): CleanEvent => ({
  messageId,
  type: 'page',
  event: 'page',
  kind: 'page_view',
  userKey: 'fay',
  userId: 'fay',
  anonymousId: null,
  sessionId: 's',
  eventTime: T0,
  receivedAt: T0,
  enrichedAt: T0,
  hourOfDay: 10,
  dayOfWeek: 3,
  pageUrl: null,
  pagePath: '/',
  referrer: null,
  productId: null,
  category: null,
  price: null,
  quantity: null,
  revenue: null,
  searchQuery: null,
  properties: '{}',
  source: 'default',
  ...NO_CONTEXT_FIELDS,
});

// A ClickHouse of this test's own (the embedded server, in process) so it can be taken down and brought back.
describe('sink through a ClickHouse outage', () => {
  const prefix = `${testId('outage')}.`;
  const topics = topicsFor(prefix);
  const groupId = testId('group');
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sink-outage-'));
  let port: number;
  let clickhouse: ChdbServer | undefined;
  let settings: ClickHouseSettings;
  let kafka: KafkaClient;
  let producer: AvroProducer;
  let sink: ServiceHandle<SinkConfig> | undefined;

  beforeAll(async () => {
    port = await freePort();
    clickhouse = await startChdbServer({ port, dataDir });
    settings = { url: clickhouse.url, user: 'default', password: '', database: 'outage' };
    ({ client: kafka, producer } = await testStage(prefix));
  });

  afterAll(async () => {
    await sink?.stop();
    await producer.disconnect();
    await clickhouse?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const countRows = async () => {
    const client = createClickHouseClient(settings, { logger: testLogger() });
    try {
      const rs = await client.query({ query: 'SELECT count() AS n FROM events', format: 'JSONEachRow' });
      return Number((await rs.json<{ n: string }>())[0]!.n);
    } finally {
      await client.close();
    }
  };

  it('keeps the events it could not insert uncommitted and inserts them once ClickHouse is back', async () => {
    await migrate(settings, testLogger());
    sink = await startService(sinkService, {
      env: {
        KAFKA_BROKERS: process.env.KAFKA_BROKERS,
        TOPIC_PREFIX: prefix,
        CLICKHOUSE_URL: settings.url,
        CLICKHOUSE_DATABASE: settings.database,
        SINK_GROUP_ID: groupId,
        SINK_MAX_WAIT_MS: '100',
        SINK_INSERT_RETRIES: '2',
        ADMIN_PORT: '0',
      },
      logger: testLogger(),
    });
    await producer.send(topics.cleanEvents, [{ key: 'fay', value: clean('before') }]);
    await eventually(async () => (await countRows()) === 1, 'the first event in ClickHouse');

    await clickhouse!.close();
    clickhouse = undefined;
    await producer.send(topics.cleanEvents, [1, 2, 3].map((i) => ({ key: 'fay', value: clean(`during-${i}`) })));
    // While ClickHouse is down the batch is retried, never committed: the group stays behind.
    await eventually(async () => (await consumerLag(kafka, groupId, topics.cleanEvents.name)) === 3, 'lag of the 3 events', 20_000);

    clickhouse = await startChdbServer({ port, dataDir });
    await eventually(async () => (await countRows()) === 4, 'the events held back during the outage', 90_000);
    await eventually(async () => (await consumerLag(kafka, groupId, topics.cleanEvents.name)) === 0, 'offsets committed after the insert', 30_000);
  });
});
