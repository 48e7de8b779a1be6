// Pseudonymisation and consent end to end: the collector as a process with COLLECTOR_PSEUDONYMISE_SECRET and a
// consent requirement, the enricher and the sink behind it. Raw ids reach neither Kafka nor ClickHouse, and identity
// stitching, the session and the profile work on the pseudonyms as they do on ids.
import { createHmac } from 'node:crypto';
import path from 'node:path';
import { topicsFor } from '@telltale/contracts';
import { ensureTopics, type KafkaClient } from '@telltale/kafka';
import { parseMetricsText, sumOf } from '@telltale/runtime';
import { createTestDatabase, eventually, freePort, readTopicUntil, testId, testKafka, type TestDatabase } from '@telltale/testing';
import { REPO_ROOT } from './infrastructure';
import { startPipeline, type Pipeline } from './pipeline';

const SECRET = 'e2e-secret-0123456789abcdef0123456789abcdef';
/** The pseudonym as README "Privacy" specifies it, computed here independently of the collector's code. */
const pseudonym = (id: string) => `hmac1_${createHmac('sha256', SECRET).update(id).digest('hex')}`;
const RAW_IDS = ['visitor-raw-anon', 'shopper-raw-1', 'kim@example.com'];

describe('pseudonymised ids and consent through collector, enricher and sink', () => {
  const prefix = `${testId('privacy')}.`;
  const topics = topicsFor(prefix);
  let kafka: KafkaClient;
  let db: TestDatabase;
  let pipeline: Pipeline | undefined;
  let collectorUrl: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    kafka = testKafka();
    await ensureTopics(kafka, Object.values(topics));
    const ports = { collector: await freePort(), enricher: await freePort(), sink: await freePort() };
    collectorUrl = `http://127.0.0.1:${ports.collector}`;
    pipeline = await startPipeline({
      ports,
      services: ['collector', 'enricher', 'sink'],
      logDir: path.join(REPO_ROOT, '.local', 'logs', prefix.slice(0, -1)),
      env: {
        KAFKA_BROKERS: process.env.KAFKA_BROKERS,
        CLICKHOUSE_URL: db.settings.url,
        CLICKHOUSE_DATABASE: db.settings.database,
        TOPIC_PREFIX: prefix,
        ENRICHER_GROUP_ID: testId('enricher'),
        SINK_GROUP_ID: testId('sink'),
        SINK_MAX_WAIT_MS: '200',
        COLLECTOR_WRITE_KEYS: 'wk-privacy-web-1:web',
        COLLECTOR_PSEUDONYMISE_SECRET: SECRET,
        COLLECTOR_CONSENT_CATEGORIES: 'Analytics',
      },
    });
  }, 300_000);

  afterAll(async () => {
    await pipeline?.stop();
    await db?.drop();
  }, 120_000);

  const query = async <T>(sql: string): Promise<T[]> => (await db.client.query({ query: sql, format: 'JSONEachRow' })).json<T>();

  it('stitches, sessions and profiles on pseudonyms; no raw id stored; events without consent counted and not stored', async () => {
    const t0 = Date.now() - 60_000;
    const at = (s: number) => new Date(t0 + s * 1000).toISOString();
    // Segment's consent object, as its consent wrappers stamp it on every event.
    const granted = { consent: { categoryPreferences: { Analytics: true, Advertising: false } } };
    const anon = 'visitor-raw-anon';
    const user = 'shopper-raw-1';
    const res = await fetch(`${collectorUrl}/v1/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from('wk-privacy-web-1:').toString('base64')}` },
      body: JSON.stringify({
        context: granted,
        batch: [
          { type: 'page', anonymousId: anon, messageId: 'pv-1', timestamp: at(0), context: { ...granted, page: { path: '/' }, ip: '203.0.113.9' } },
          { type: 'track', event: 'Product Added', anonymousId: anon, messageId: 'pv-2', timestamp: at(10), properties: { productId: 'p1', price: 20, quantity: 1 } },
          { type: 'identify', anonymousId: anon, userId: user, messageId: 'pv-3', timestamp: at(20), traits: { email: 'kim@example.com', plan: 'pro' } },
          // After login: only the user id, as a server-side library sends it.
          { type: 'track', event: 'Product Clicked', userId: user, messageId: 'pv-4', timestamp: at(30), properties: { productId: 'p2' } },
          // Without the Analytics category: refused, never written.
          { type: 'page', anonymousId: 'refused-anon', messageId: 'pv-refused', timestamp: at(31), context: { consent: { categoryPreferences: { Analytics: false } } } },
        ],
      }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ success: true, accepted: 4, refusedForConsent: 1 });

    const raw = await readTopicUntil(kafka, topics.rawEvents, (r) => r.length >= 4, 60_000);
    expect(raw.map((r) => r.value.messageId).sort()).toEqual(['pv-1', 'pv-2', 'pv-3', 'pv-4']);
    expect(raw.find((r) => r.value.messageId === 'pv-3')).toMatchObject({ key: pseudonym(anon), value: { anonymousId: pseudonym(anon), userId: pseudonym(user) } });

    const clean = (await readTopicUntil(kafka, topics.cleanEvents, (r) => r.length >= 4, 120_000)).map((r) => r.value).sort((a, b) => a.messageId.localeCompare(b.messageId));
    // The anonymous visitor's events after the identify carry the (pseudonymised) user; one session throughout.
    expect(clean.map((e) => [e.messageId, e.userKey])).toEqual([
      ['pv-1', pseudonym(anon)],
      ['pv-2', pseudonym(anon)],
      ['pv-3', pseudonym(user)],
      ['pv-4', pseudonym(user)],
    ]);
    expect(new Set(clean.filter((e) => e.anonymousId !== null).map((e) => e.sessionId)).size).toBe(1);
    const links = await readTopicUntil(kafka, topics.identityLinks, (r) => r.length >= 1, 60_000);
    expect(links.map((l) => [l.value.anonymousId, l.value.userId])).toEqual([[pseudonym(anon), pseudonym(user)]]);

    await eventually(async () => Number((await query<{ n: string }>('SELECT count() AS n FROM events'))[0]!.n) >= 4, 'the sink to write the events', 60_000);
    await eventually(async () => (await query('SELECT * FROM identities')).length === 1, 'the identity link in ClickHouse', 60_000);
    const profiles = await query<Record<string, unknown>>('SELECT user_key, known_user_id, anonymous_ids, events, add_to_carts FROM user_profiles');
    expect(profiles).toEqual([{ user_key: pseudonym(user), known_user_id: pseudonym(user), anonymous_ids: [pseudonym(anon)], events: '4', add_to_carts: '1' }]);

    // Nothing stored holds a raw id, the e-mail trait or the IP address: every row of every table and every record.
    const stored = JSON.stringify([
      await query('SELECT * FROM events'),
      await query('SELECT * FROM identities'),
      raw,
      clean,
      links,
    ]);
    for (const secret of [...RAW_IDS, '203.0.113.9', 'refused-anon', 'pv-refused']) expect(stored).not.toContain(secret);

    const metrics = parseMetricsText(await (await fetch(`${collectorUrl}/metrics`)).text());
    expect(sumOf(metrics, 'telltale_collector_events_without_consent_total', { source: 'web', action: 'refused' })).toBe(1);
  }, 300_000);
});
