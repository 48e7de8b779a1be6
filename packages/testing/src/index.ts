import { createServer, type AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { clickhouseEnv, createClickHouseClient, migrate, settingsFromEnv, type ClickHouseClient, type ClickHouseSettings } from '@telltale/clickhouse';
import type { CleanEvent, Topic } from '@telltale/contracts';
import { connectStage, createKafkaClient, followTopic, type KafkaClient, type KafkaStage } from '@telltale/kafka';
import { createLogger, loadConfig, type Logger } from '@telltale/runtime';

/** A short random id for topic prefixes, group ids and database names: tests never share state. */
export function testId(prefix = 't'): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

export function testLogger(name = 'test'): Logger {
  return createLogger(name, process.env.TEST_LOG_LEVEL ?? 'silent');
}

export function brokersFromEnv(): string[] {
  const brokers = process.env.KAFKA_BROKERS;
  if (!brokers) throw new Error('KAFKA_BROKERS is not set: run integration tests through jest (its global setup starts Kafka)');
  return brokers.split(',');
}

export function testKafka(clientId = testId('client')): KafkaClient {
  return createKafkaClient({ brokers: brokersFromEnv(), clientId }, testLogger('kafka'));
}

/**
 * Every topic under `topicPrefix` created, a client and a connected producer: what a test needs to feed a service.
 * `stage` names the stage in the dead letters it writes.
 */
export function testStage(topicPrefix: string, stage = 'test'): Promise<KafkaStage> {
  return connectStage({ stage, brokers: brokersFromEnv(), topicPrefix, logger: testLogger('kafka') });
}

/** Polls `check` until it returns a value other than undefined/false, or fails with `what` after the deadline. */
export async function eventually<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  what: string,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Every record of `topic` that exists now (read to its end as of when reading starts), decoded. */
export async function readTopicToEnd<T>(kafka: KafkaClient, topic: Topic<T>): Promise<T[]> {
  const values: T[] = [];
  const follower = await followTopic(kafka, topic, (value) => values.push(value), { groupIdPrefix: testId('reader') });
  try {
    await follower.caughtUp;
    return values;
  } finally {
    await follower.stop();
  }
}

/** Reads a topic from the beginning until `done(records)` holds, decoding with the topic's codec. */
export async function readTopicUntil<T>(
  kafka: KafkaClient,
  topic: Topic<T>,
  done: (records: Array<{ key: string | null; value: T }>) => boolean,
  timeoutMs = 60_000,
): Promise<Array<{ key: string | null; value: T }>> {
  const records: Array<{ key: string | null; value: T }> = [];
  const follower = await followTopic(kafka, topic, (value, key) => records.push({ key, value }), { groupIdPrefix: testId('reader') });
  try {
    return await eventually(async () => (done(records) ? records : undefined), `records on ${topic.name}`, timeoutMs);
  } finally {
    await follower.stop();
  }
}

export interface TestDatabase {
  settings: ClickHouseSettings;
  client: ClickHouseClient;
  drop(): Promise<void>;
}

/** A fresh, migrated database on CLICKHOUSE_URL; drop() removes it. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const url = process.env.CLICKHOUSE_URL;
  if (!url) throw new Error('CLICKHOUSE_URL is not set: run integration tests through jest (its global setup starts ClickHouse)');
  const settings: ClickHouseSettings = { ...settingsFromEnv(loadConfig(clickhouseEnv)), database: testId('db') };
  await migrate(settings, testLogger('migrate'));
  const client = createClickHouseClient(settings, { logger: testLogger('clickhouse') });
  return {
    settings,
    client,
    async drop() {
      await client.command({ query: `DROP DATABASE IF EXISTS ${settings.database}` });
      await client.close();
    },
  };
}

/** A TCP port nobody listens on right now, for a process the test starts. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** mulberry32: a tiny seeded PRNG, so synthetic test data is the same on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The enrichment columns of a clean event whose context had no user agent, campaign, page or referrer. */
export const NO_CONTEXT_FIELDS = {
  userAgent: null,
  browserName: null,
  browserVersion: null,
  osName: null,
  osVersion: null,
  deviceType: null,
  isBot: false,
  utmSource: null,
  utmMedium: null,
  utmCampaign: null,
  utmTerm: null,
  utmContent: null,
  referrerClass: null,
  referrerHost: null,
} as const satisfies Partial<CleanEvent>;
export { launchTestChromium } from './chromium';
export { selfSignedCertificate, type SelfSignedCertificate } from './tls';
