import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { toClickHouseTime, type ClickHouseClient } from '@telltale/clickhouse';
import { topicsFor, type Model } from '@telltale/contracts';
import { followTopic, type KafkaClient } from '@telltale/kafka';
import { trainingSetFromCsv } from '@telltale/model';
import { createMetricsRegistry } from '@telltale/runtime';
import { createTestDatabase, readTopicUntil, seededRandom, testId as id, testKafka, testLogger, type TestDatabase } from '@telltale/testing';
import { startTrainerApp, type TrainerApp } from './trainer.app';
import { loadTrainerConfig } from './trainer.config';
import type { RunResult } from './trainer.service';

const logger = testLogger('trainer-test');
/** The CLI runs on this process's node (the project's, whatever PATH says) with tsx's loader. */
const TSX_LOADER = pathToFileURL(require.resolve('tsx')).href;

/** Every model on the topic, read from the beginning until `count` have arrived. */
async function readModels(kafka: KafkaClient, prefix: string, count: number): Promise<Model[]> {
  const records = await readTopicUntil(kafka, topicsFor(prefix).models, (r) => r.length >= count);
  return records.map((r) => r.value);
}

const SNAPSHOTS_PER_SESSION = 4;

/**
 * Sessions of 4 snapshots, 10 s apart, two hours ago. Sessions with buying intent put things in the cart and
 * (95 %) purchase at +45 s; the others browse and (5 %) purchase anyway. Rows the query must NOT return are mixed
 * in: the purchase's own snapshot, one after it, duplicate rows, a snapshot younger than the label delay, and the
 * sessions of crawlers (one per 10 sessions).
 */
async function insertSessions(client: ClickHouseClient, sessions: number, opts: { purchases: boolean }): Promise<{ labelled: number }> {
  const random = seededRandom(7);
  const t0 = Date.now() - 2 * 3600_000;
  const features: Array<Record<string, unknown>> = [];
  const events: Array<Record<string, unknown>> = [];
  const snapshot = (s: number, messageId: string, kind: string, at: number, f: Record<string, number>) =>
    features.push({ user_key: `u${s}`, session_id: `s${s}`, message_id: messageId, event_kind: kind, event_time: toClickHouseTime(at), computed_at: toClickHouseTime(at + 5), features: f });
  const event = (s: number, messageId: string, kind: string, at: number, extra: Record<string, unknown> = {}) =>
    events.push({ message_id: messageId, type: 'track', event: kind, kind, user_key: `u${s}`, session_id: `s${s}`, event_time: toClickHouseTime(at), received_at: toClickHouseTime(at), enriched_at: toClickHouseTime(at), hour_of_day: 10, day_of_week: 3, properties: '{}', ...extra });

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
  // Crawler sessions: their snapshots are no training rows (events.is_bot), however many there are.
  for (let b = 0; b < sessions / 10; b++) {
    const s = sessions + b;
    for (let k = 1; k <= SNAPSHOTS_PER_SESSION; k++) {
      const at = t0 + b * 1000 + k * 2_000;
      snapshot(s, `bot${b}-e${k}`, 'page_view', at, { session_events: k, session_page_views: k, session_add_to_carts: 0, session_cart_value: 0 });
      event(s, `bot${b}-e${k}`, 'page_view', at, { is_bot: true, device_type: 'bot', browser_name: 'Googlebot' });
    }
  }
  // Too young to be labelled (TRAINER_LABEL_DELAY_S): the session may still convert.
  snapshot(0, 'fresh', 'page_view', Date.now(), { session_events: 1 });
  await client.insert({ table: 'session_features', values: features, format: 'JSONEachRow' });
  await client.insert({ table: 'events', values: events, format: 'JSONEachRow' });
  return { labelled: sessions * SNAPSHOTS_PER_SESSION };
}

/** The models table rows of a database, oldest first. */
async function modelRows(client: ClickHouseClient): Promise<Array<Record<string, unknown>>> {
  const rs = await client.query({
    query: 'SELECT * FROM models FINAL ORDER BY trained_at, version',
    format: 'JSONEachRow',
    clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
  });
  return rs.json<Record<string, unknown>>();
}

function published(result: RunResult): Model {
  if (result.outcome !== 'published') throw new Error(`expected a published model, got ${result.outcome}: ${'message' in result ? result.message : result.decision.reason}`);
  return result.model;
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
    const config = (extra: Record<string, string> = {}) =>
      loadTrainerConfig({
        KAFKA_BROKERS: process.env.KAFKA_BROKERS,
        TOPIC_PREFIX: prefix,
        CLICKHOUSE_URL: process.env.CLICKHOUSE_URL,
        CLICKHOUSE_DATABASE: db.settings.database,
        TRAINER_MIN_ROWS: '100',
        ADMIN_PORT: '0',
        ...extra,
      });

    beforeAll(async () => {
      db = await createTestDatabase();
      ({ labelled } = await insertSessions(db.client, 300, { purchases: true }));
    });
    afterAll(async () => {
      await db?.drop();
    });

    it('publishes version 1, then 2, and records both models in ClickHouse', async () => {
      const app = await startTrainerApp(config(), logger, createMetricsRegistry('trainer'));
      try {
        const result = await app.service.runOnce();
        const first = published(result);
        // Exactly the labelled snapshots: no duplicates, nothing at or after a purchase, nothing too young.
        expect(result.rows).toBe(labelled);
        expect(first.version).toBe(1);
        expect(first.metrics.auc).toBeGreaterThan(0.8);
        expect(first.metrics.holdout!.auc).toBeGreaterThan(0.8);
        expect(first.metrics.trainRows + first.metrics.testRows + first.metrics.holdout!.rows).toBe(labelled);
        // The event kind is an input; hour_sin spans minutes here (gated out); is_weekend is absent from the data.
        expect(first.featureNames).toEqual(expect.arrayContaining(['session_add_to_carts', 'log1p_session_cart_value', 'event_kind_add_to_cart', 'event_kind_page_view']));
        expect(first.featureNames).not.toContain('hour_sin');
        logger.info({ auc: first.metrics.auc, holdout: first.metrics.holdout }, 'trained');

        // Same data, so the same model: not worse than the live one, so it replaces it.
        const second = published(await app.service.runOnce());
        expect(second.version).toBe(2);
      } finally {
        await app.close();
      }

      const models = await readModels(kafka, prefix, 2);
      expect(models.map((m) => m.version)).toEqual([1, 2]);
      expect(models[0]).toMatchObject({ name: 'purchase_propensity', algorithm: expect.stringContaining('newton'), featureTransform: 'telltale.inputs.v1' });

      const rows = await modelRows(db.client);
      expect(rows.map((r) => [r.version, r.promoted])).toEqual([[1, true], [2, true]]);
      expect(rows[0]).toMatchObject({
        model_name: 'purchase_propensity',
        run_id: models[0]!.runId,
        feature_names: models[0]!.featureNames,
        weights: models[0]!.weights,
        intercept: models[0]!.intercept,
        decision: 'no live model yet',
        rows: labelled,
        holdout_auc: models[0]!.metrics.holdout!.auc,
        test_auc: models[0]!.metrics.auc,
        live_version: null,
      });
      expect(rows[0]!.dropped_inputs).toContain('hour_sin:time');
      expect(rows[0]!.holdout_calibration).toHaveLength(10);
      expect(rows[1]).toMatchObject({ live_version: 1, decision: expect.stringMatching(/vs live v1 .*: not worse$/) });
      expect(rows[1]!.candidate_log_loss).toBe(rows[1]!.live_log_loss);
    });

    it('continues from the version on the topic after a restart', async () => {
      // A fresh process knows nothing but what it reads back from the models topic.
      const app = await startTrainerApp(config(), logger, createMetricsRegistry('trainer'));
      try {
        expect(published(await app.service.runOnce()).version).toBe(3);
      } finally {
        await app.close();
      }
    });

    it('keeps the live model when a new one is worse on the same holdout, and records the new one as not promoted', async () => {
      // A penalty this large leaves only the intercept: a model that knows nothing.
      const app = await startTrainerApp(config({ TRAINER_L2: '1e12' }), logger, createMetricsRegistry('trainer'));
      try {
        const result = await app.service.runOnce();
        expect(result.outcome).toBe('not_promoted');
        if (result.outcome !== 'not_promoted') return;
        expect(result.decision.reason).toMatch(/vs live v3 .*: worse$/);
        const rows = await modelRows(db.client);
        expect(rows.find((r) => r.run_id === result.candidate.model.runId)).toMatchObject({ promoted: false, version: null, live_version: 3 });
      } finally {
        await app.close();
      }
      // Still version 3 live: nothing was published.
      const models = await readModels(kafka, prefix, 3);
      expect(models.map((m) => m.version)).toEqual([1, 2, 3]);
    });

    it('never publishes two models under one version when two trainers publish at the same time', async () => {
      // Trainer B runs a whole training run inside A's publish window: after A chose its version, before it commits.
      const b = await startTrainerApp(config(), logger, createMetricsRegistry('trainer'));
      let bResult: RunResult | undefined;
      let aChose: number[] = [];
      const a: TrainerApp = await startTrainerApp(config(), logger, createMetricsRegistry('trainer'), {
        beforeCommit: async (model) => {
          aChose = [...aChose, model.version];
          if (!bResult) bResult = await b.service.runOnce();
        },
      });
      try {
        const aModel = published(await a.service.runOnce());
        const bModel = published(bResult!);
        // A chose 4, was fenced off by B (who published 4), read the topic again and published 5.
        expect(aChose).toEqual([4, 5]);
        expect(bModel.version).toBe(4);
        expect(aModel.version).toBe(5);
      } finally {
        await a.close();
        await b.close();
      }
      const models = await readModels(kafka, prefix, 5);
      const versions = models.map((m) => m.version);
      expect(versions).toEqual([1, 2, 3, 4, 5]);
      const rows = await modelRows(db.client);
      // A trained first (its trainedAt is earlier) and published second.
      expect(rows.filter((r) => r.promoted).map((r) => r.version)).toEqual([1, 2, 3, 5, 4]);
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
      const result = spawnSync(process.execPath, ['--import', TSX_LOADER, path.join(__dirname, 'main.ts'), '--once'], {
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
      expect(result.stderr).toContain('no model trained: all 400 labelled rows have label 0');
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

    it('--export writes the rows a run would train on as CSV', async () => {
      const file = path.join(mkdtempSync(path.join(tmpdir(), 'trainer-export-')), 'rows.csv');
      const result = spawnSync(process.execPath, ['--import', TSX_LOADER, path.join(__dirname, 'main.ts'), '--export', file], {
        env: { ...process.env, CLICKHOUSE_DATABASE: db.settings.database, LOG_LEVEL: 'warn' },
        encoding: 'utf8',
        timeout: 90_000,
      });
      expect(result.status).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ file, rows: 400, sessions: 100 });
      const set = trainingSetFromCsv(readFileSync(file, 'utf8'));
      expect(set.rows).toBe(400);
      expect(new Set(set.eventKinds)).toEqual(new Set(['page_view', 'add_to_cart']));
      expect(set.labels.every((l) => l === 0)).toBe(true);
    });
  });
});
