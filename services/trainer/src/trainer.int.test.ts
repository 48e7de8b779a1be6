import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { toClickHouseTime, type ClickHouseClient } from '@telltale/clickhouse';
import { topicsFor, type Model } from '@telltale/contracts';
import { followTopic, type KafkaClient } from '@telltale/kafka';
import { createMetricsRegistry } from '@telltale/runtime';
import { createTestDatabase, readTopicUntil, seededRandom, testId as id, testKafka, testLogger, type TestDatabase } from '@telltale/testing';
import { startTrainerApp } from './trainer.app';
import { loadTrainerConfig } from './trainer.config';

const logger = testLogger('trainer-test');

/** Every model on the topic, read from the beginning until `count` have arrived. */
async function readModels(kafka: KafkaClient, prefix: string, count: number): Promise<Model[]> {
  const records = await readTopicUntil(kafka, topicsFor(prefix).models, (r) => r.length >= count);
  return records.map((r) => r.value);
}

const SNAPSHOTS_PER_SESSION = 4;

/**
 * Sessions of 4 snapshots, 10 s apart, two hours ago. Sessions with buying intent put things in the cart and
 * (95 %) purchase at +45 s; the others browse and (5 %) purchase anyway. Rows the query must NOT return are mixed
 * in: the purchase's own snapshot, one after it, duplicate rows, and a snapshot younger than the label delay.
 */
async function insertSessions(client: ClickHouseClient, sessions: number, opts: { purchases: boolean }): Promise<{ labelled: number }> {
  const random = seededRandom(7);
  const t0 = Date.now() - 2 * 3600_000;
  const features: Array<Record<string, unknown>> = [];
  const events: Array<Record<string, unknown>> = [];
  const snapshot = (s: number, messageId: string, kind: string, at: number, f: Record<string, number>) =>
    features.push({ user_key: `u${s}`, session_id: `s${s}`, message_id: messageId, event_kind: kind, event_time: toClickHouseTime(at), computed_at: toClickHouseTime(at + 5), features: f });
  const event = (s: number, messageId: string, kind: string, at: number) =>
    events.push({ message_id: messageId, type: 'track', event: kind, kind, user_key: `u${s}`, session_id: `s${s}`, event_time: toClickHouseTime(at), received_at: toClickHouseTime(at), enriched_at: toClickHouseTime(at), hour_of_day: 10, day_of_week: 3, properties: '{}' });

  for (let s = 0; s < sessions; s++) {
    const intent = random() < 0.4;
    const purchases = opts.purchases && (intent ? random() < 0.95 : random() < 0.05);
    for (let k = 1; k <= SNAPSHOTS_PER_SESSION; k++) {
      const at = t0 + s * 1000 + k * 10_000;
      const f = {
        session_events: k,
        session_page_views: k,
        session_add_to_carts: intent ? k : 0,
        session_cart_value: intent ? 25 * k + random() * 10 : 0,
        hour_sin: random() * 2 - 1,
      };
      snapshot(s, `s${s}-e${k}`, k === 1 ? 'page_view' : 'add_to_cart', at, f);
      if (k === 2) snapshot(s, `s${s}-e${k}`, 'add_to_cart', at, f); // at-least-once duplicate
      event(s, `s${s}-e${k}`, 'page_view', at);
    }
    if (purchases) {
      const at = t0 + s * 1000 + 45_000;
      event(s, `s${s}-buy`, 'purchase', at);
      event(s, `s${s}-buy`, 'purchase', at); // duplicate purchase row
      event(s, `s${s}-buy2`, 'purchase', at + 20_000); // a second purchase changes nothing
      snapshot(s, `s${s}-buy`, 'purchase', at, { session_events: 5, session_add_to_carts: 9 });
      snapshot(s, `s${s}-after`, 'page_view', at + 5_000, { session_events: 6, session_add_to_carts: 9 });
    }
  }
  // Too young to be labelled (TRAINER_LABEL_DELAY_S): the session may still convert.
  snapshot(0, 'fresh', 'page_view', Date.now(), { session_events: 1 });
  await client.insert({ table: 'session_features', values: features, format: 'JSONEachRow' });
  await client.insert({ table: 'events', values: events, format: 'JSONEachRow' });
  return { labelled: sessions * SNAPSHOTS_PER_SESSION };
}

describe('trainer against real Kafka and ClickHouse', () => {
  let kafka: KafkaClient;
  beforeAll(() => {
    kafka = testKafka(id('trainer-test'));
  });

  describe('on learnable data', () => {
    const prefix = `${id('trainer')}.`;
    let db: TestDatabase;
    let labelled = 0;
    const config = () =>
      loadTrainerConfig({
        KAFKA_BROKERS: process.env.KAFKA_BROKERS,
        TOPIC_PREFIX: prefix,
        CLICKHOUSE_URL: process.env.CLICKHOUSE_URL,
        CLICKHOUSE_DATABASE: db.settings.database,
        TRAINER_MIN_ROWS: '100',
        TRAINER_STEPS: '300',
        ADMIN_PORT: '0',
      });

    beforeAll(async () => {
      db = await createTestDatabase();
      ({ labelled } = await insertSessions(db.client, 200, { purchases: true }));
    });
    afterAll(async () => {
      await db?.drop();
    });

    it('publishes version 1 then 2, with a high held-out AUC', async () => {
      const app = await startTrainerApp(config(), logger, createMetricsRegistry('trainer'));
      try {
        const first = await app.service.runOnce();
        if (!first.published) throw new Error(`expected a model, got: ${first.message}`);
        // Exactly the labelled snapshots: no duplicates, nothing at or after a purchase, nothing too young.
        expect(first.rows).toBe(labelled);
        expect(first.model.version).toBe(1);
        expect(first.model.metrics.auc).toBeGreaterThan(0.8);
        expect(first.model.metrics.trainRows + first.model.metrics.testRows).toBe(labelled);
        expect(first.model.featureNames).toEqual(['hour_sin', 'session_add_to_carts', 'session_cart_value', 'session_events', 'session_page_views']);
        logger.info({ auc: first.model.metrics.auc, logLoss: first.model.metrics.logLoss }, 'trained');

        const second = await app.service.runOnce();
        expect(second.published && second.model.version).toBe(2);
      } finally {
        await app.close();
      }

      const models = await readModels(kafka, prefix, 2);
      expect(models.map((m) => m.version)).toEqual([1, 2]);
      expect(models[0]).toMatchObject({ name: 'purchase_propensity', algorithm: expect.stringContaining('ml-logistic-regression') });
      expect(models[0]!.metrics.auc).toBeGreaterThan(0.8);
      expect(models[0]!.weights).toHaveLength(5);
    });

    it('continues from the version on the topic after a restart', async () => {
      // A fresh process knows nothing but what it reads back from the models topic.
      const app = await startTrainerApp(config(), logger, createMetricsRegistry('trainer'));
      try {
        const third = await app.service.runOnce();
        expect(third.published && third.model.version).toBe(3);
      } finally {
        await app.close();
      }
    });
  });

  describe('on one-class data', () => {
    const prefix = `${id('trainer')}.`;
    let db: TestDatabase;
    beforeAll(async () => {
      db = await createTestDatabase();
      await insertSessions(db.client, 100, { purchases: false });
    });
    afterAll(async () => {
      await db?.drop();
    });

    it('refuses to publish; the --once CLI says why and exits 2', async () => {
      const result = spawnSync(path.resolve(__dirname, '../../../node_modules/.bin/tsx'), [path.join(__dirname, 'main.ts'), '--once'], {
        env: {
          ...process.env,
          TOPIC_PREFIX: prefix,
          CLICKHOUSE_DATABASE: db.settings.database,
          TRAINER_MIN_ROWS: '100',
          LOG_LEVEL: 'warn',
        },
        encoding: 'utf8',
        timeout: 90_000,
      });
      expect(result.stderr).toContain('no model published: all 400 labelled rows have label 0');
      expect(result.status).toBe(2);
      // stdout is exactly one JSON line (logs go to stderr in --once mode).
      const lines = result.stdout.trim().split('\n');
      expect(lines).toHaveLength(1);
      const summary = JSON.parse(lines[0]!) as Record<string, unknown>;
      expect(summary).toMatchObject({ published: false, reason: 'one_class', rows: 400 });

      // Nothing on the models topic (the CLI created it, so it exists).
      const models: Model[] = [];
      const follower = await followTopic(kafka, topicsFor(prefix).models, (m) => models.push(m), { groupIdPrefix: id('reader') });
      await follower.caughtUp;
      await follower.stop();
      expect(models).toEqual([]);
    });
  });
});
