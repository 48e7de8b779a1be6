import { createClickHouseClient, migrate, settingsFromEnv } from '@telltale/clickhouse';
import type { Topic } from '@telltale/contracts';
import { BatchConsumer, connectStage, type ConsumedRecord, type Rejection, type Subscription } from '@telltale/kafka';
import { Counter, Histogram, type ServiceContext, type ServiceDefinition, type StartedService } from '@telltale/runtime';
import { loadSinkConfig, type SinkConfig } from './sink.config';
import { deadLetterRow, eventRow, featureRow, identityRow, predictionRow } from './table-rows';
import { MergedInserts } from './merged-inserts';
import { TableWriter } from './table-writer';

export const sinkService: ServiceDefinition<SinkConfig> = {
  name: 'sink',
  loadConfig: loadSinkConfig,
  adminPort: (config) => config.ADMIN_PORT,
  start: startSink,
};

async function startSink(config: SinkConfig, { logger, registry, stopSignal, fail }: ServiceContext): Promise<StartedService> {
  const settings = settingsFromEnv(config);
  await migrate(settings, logger);
  const clickhouse = createClickHouseClient(settings, { logger });

  const { topics, client, producer, deadLetters } = await connectStage({
    stage: 'sink',
    brokers: config.KAFKA_BROKERS,
    topicPrefix: config.TOPIC_PREFIX,
    logger,
    producer: { maxRequestBytes: config.KAFKA_MAX_REQUEST_BYTES },
    registry,
  });

  const rowsInserted = new Counter({
    name: 'telltale_sink_rows_inserted_total',
    help: 'Rows inserted into ClickHouse, by table',
    labelNames: ['table'],
    registers: [registry],
  });
  const rowsRejected = new Counter({
    name: 'telltale_sink_rows_rejected_total',
    help: 'Rows ClickHouse refused (sent to the dead-letter topic), by table',
    labelNames: ['table'],
    registers: [registry],
  });
  const insertSeconds = new Histogram({
    name: 'telltale_sink_insert_duration_seconds',
    help: 'Time to insert one consumed batch, by table',
    labelNames: ['table'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });

  function subscribe<T>(
    topic: Topic<T>,
    table: string,
    toRow: (v: T, record: ConsumedRecord<T>) => Record<string, unknown>,
    /** The collector's receipt time of a record (end-to-end lag); none for dead letters. */
    receivedAt: ((v: T) => number) | undefined,
    /** Where rows ClickHouse refuses go. @default the dead-letter topic */
    onRejected?: (rejected: Rejection[]) => Promise<void>,
  ): Subscription<T> {
    const writer = new TableWriter<T>(clickhouse, table, toRow, logger, config.SINK_INSERT_RETRIES);
    // A stopping service shortens its retries: a dead ClickHouse cannot hold shutdown; the uncommitted batch is redelivered.
    const inserts = new MergedInserts<T>((records) => writer.write(records, stopSignal));
    return {
      topic,
      receivedAt,
      async handle(records: Array<ConsumedRecord<T>>) {
        const end = insertSeconds.startTimer({ table });
        // Partitions handled side by side share the table's next insert.
        const result = await inserts.insert(records);
        end();
        rowsInserted.inc({ table }, result.inserted);
        if (result.rejected.length > 0) {
          rowsRejected.inc({ table }, result.rejected.length);
          await (onRejected ?? ((r) => deadLetters.publish(r)))(result.rejected);
        }
      },
    };
  }

  const consumer = new BatchConsumer(client, {
    groupId: config.SINK_GROUP_ID,
    subscriptions: [
      subscribe(topics.cleanEvents, 'events', eventRow, (e) => e.receivedAt),
      subscribe(topics.features, 'session_features', featureRow, (f) => f.receivedAt),
      subscribe(topics.predictions, 'predictions', predictionRow, (p) => p.receivedAt),
      subscribe(topics.identityLinks, 'identities', identityRow, undefined),
      // TRICKY: a dead letter ClickHouse refuses is not dead-lettered again (that would loop); it stays in the
      // events.dlq topic and is logged with where to find it.
      subscribe(topics.deadLetters, 'dead_letters', deadLetterRow, undefined, async (rejected) => {
        for (const { source, reason } of rejected) {
          logger.error({ topic: source?.topic, partition: source?.partition, offset: source?.offset, reason }, 'dead letter not stored in ClickHouse; it remains on the topic');
        }
      }),
    ],
    deadLetters,
    minBytes: config.SINK_MIN_BYTES,
    maxBatchRecords: config.SINK_MAX_BATCH_ROWS,
    maxBytesPerPartition: config.SINK_MAX_FETCH_BYTES_PER_PARTITION,
    partitionsConsumedConcurrently: config.SINK_PARTITIONS_CONCURRENTLY,
    // Two partitions' worth: bounds the sink's memory whatever the number of topics and partitions.
    maxBytes: 2 * config.SINK_MAX_FETCH_BYTES_PER_PARTITION,
    registry,
    onFatal: (err) => fail('kafka consumer gave up', err),
    maxWaitTimeInMs: config.SINK_MAX_WAIT_MS,
  });
  await consumer.start();

  let clickhouseOk = true;
  const ping = setInterval(() => {
    clickhouse.ping().then(
      (r) => (clickhouseOk = r.success),
      () => (clickhouseOk = false),
    );
  }, 5000);
  ping.unref();

  return {
    checks: {
      consumer: () => consumer.health(),
      clickhouse: () => (clickhouseOk ? { ok: true } : { ok: false, detail: 'ClickHouse ping failed' }),
    },
    describe: { database: settings.database, groupId: config.SINK_GROUP_ID },
    async close() {
      clearInterval(ping);
      await consumer.stop();
      await producer.disconnect();
      await clickhouse.close();
    },
  };
}
