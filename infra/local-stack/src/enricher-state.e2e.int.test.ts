// The enricher's durable state, end to end: the enricher and the sink as processes, the enricher killed with
// SIGKILL mid-visit and restarted by its supervisor, rows read back from ClickHouse (chDB).
import path from 'node:path';
import { topicsFor, type CleanEvent, type FeatureVector, type RawEvent } from '@telltale/contracts';
import { consumerLag, type AvroProducer, type KafkaClient } from '@telltale/kafka';
import { createTestDatabase, eventually, freePort, readTopicUntil, testId, testStage, type TestDatabase } from '@telltale/testing';
import { REPO_ROOT } from './infrastructure';
import { startPipeline, type Pipeline } from './pipeline';

const T0 = Date.parse('2024-05-01T10:00:00.000Z');
const SECOND = 1000;

/** A raw event of the visitor under test as the collector writes it (keyed by anonymousId, see partitionKeyOf). */
function visitorEvent(messageId: string, atS: number, overrides: Partial<RawEvent> = {}): { key: string; value: RawEvent } {
  const value: RawEvent = {
    messageId,
    type: 'track',
    event: 'Product Clicked',
    userId: null,
    anonymousId: 'visitor-anon',
    timestamp: T0 + atS * SECOND,
    sentAt: null,
    receivedAt: T0 + atS * SECOND + 10,
    properties: '{"productId":"p1"}',
    context: '{}',
    source: 'test',
    ...overrides,
  };
  return { key: value.anonymousId ?? value.userId!, value };
}

describe('enricher state across a kill -9, identity stitching and lateness', () => {
  const prefix = `${testId('state_e2e')}.`;
  const topics = topicsFor(prefix);
  const groups = { enricher: testId('enricher'), sink: testId('sink') };
  let kafka: KafkaClient;
  let producer: AvroProducer;
  let db: TestDatabase;
  let pipeline: Pipeline | undefined;
  let enricherUrl: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    ({ client: kafka, producer } = await testStage(prefix));
    const ports = { enricher: await freePort(), sink: await freePort() };
    enricherUrl = `http://127.0.0.1:${ports.enricher}`;
    pipeline = await startPipeline({
      services: ['sink', 'enricher'],
      ports,
      logDir: path.join(REPO_ROOT, '.local', 'logs', prefix.slice(0, -1)),
      restartPolicy: { initialDelayMs: 200 },
      env: {
        KAFKA_BROKERS: process.env.KAFKA_BROKERS,
        CLICKHOUSE_URL: db.settings.url,
        CLICKHOUSE_DATABASE: db.settings.database,
        TOPIC_PREFIX: prefix,
        ENRICHER_GROUP_ID: groups.enricher,
        SINK_GROUP_ID: groups.sink,
        SINK_MAX_WAIT_MS: '200',
        LOG_LEVEL: 'info',
      },
    });
  }, 180_000);

  afterAll(async () => {
    await pipeline?.stop();
    await producer?.disconnect();
    await db?.drop();
  });

  const query = async <T>(sql: string): Promise<T[]> => (await db.client.query({ query: sql, format: 'JSONEachRow' })).json<T>();

  it('keeps one session and its counters, one row per duplicate, one profile per person, and refuses a second user', async () => {
    // Before the kill: the visitor browses anonymously, then signs in (identify with the same anonymousId).
    await producer.send(topics.rawEvents, [
      visitorEvent('v-1', 0, { type: 'page', event: null, properties: '{}' }),
      visitorEvent('v-2', 10),
      visitorEvent('v-3', 20, { type: 'identify', event: null, userId: 'shopper-1', properties: '{}' }),
    ]);
    await eventually(async () => (await consumerLag(kafka, groups.enricher, topics.rawEvents.name)) === 0, 'the enricher to commit the first events');

    // kill -9, and wait until the supervisor has it running (healthy) again.
    const enricher = pipeline!.services.find((s) => s.name === 'enricher')!;
    const killed = enricher.pid!;
    const restartsBefore = enricher.restarts;
    process.kill(killed, 'SIGKILL');
    await eventually(async () => enricher.restarts > restartsBefore && enricher.pid !== killed && enricher.status === 'healthy', 'the enricher to be restarted', 120_000);

    // After the restart: the visit goes on with anonymous-only events, v-2 is delivered again (a client retry), a
    // second user claims the anonymous id, and two events arrive late: 4 min (joins) and 10 min (dead-lettered).
    await producer.send(topics.rawEvents, [
      visitorEvent('v-4', 600, { event: 'Product Added', properties: '{"productId":"p1","price":20,"quantity":2}' }),
      visitorEvent('v-2', 10, { receivedAt: T0 + 601 * SECOND }),
      visitorEvent('v-5', 610, { type: 'identify', event: null, userId: 'shopper-2', properties: '{}' }),
      visitorEvent('v-6', 370, { receivedAt: T0 + 620 * SECOND }),
      visitorEvent('v-7', 0, { receivedAt: T0 + 630 * SECOND }),
      visitorEvent('v-8', 640),
    ]);

    // events.clean is keyed by user: the events before and after the login may sit on different partitions.
    const clean = (await readTopicUntil(kafka, topics.cleanEvents, (r) => r.some((x) => x.value.messageId === 'v-8'), 120_000))
      .map((r) => r.value)
      .sort((a, b) => a.messageId.localeCompare(b.messageId));
    expect(clean.map((e: CleanEvent) => e.messageId)).toEqual(['v-1', 'v-2', 'v-3', 'v-4', 'v-6', 'v-8']);
    expect(new Set(clean.map((e) => e.sessionId)).size).toBe(1);
    expect(clean.map((e) => e.userId)).toEqual([null, null, 'shopper-1', 'shopper-1', 'shopper-1', 'shopper-1']);

    const features = (await readTopicUntil(kafka, topics.features, (r) => r.some((x) => x.value.messageId === 'v-8'), 60_000)).map((r) => r.value);
    const vector = (id: string) => features.find((f: FeatureVector) => f.messageId === id);
    // Counters continue across the restart: v-4 is the session's 4th event (the identify counts), v-8 its 6th.
    expect(vector('v-4')?.features).toMatchObject({ session_events: 4, session_add_to_carts: 1, session_cart_value: 40, session_duration_s: 600 });
    // Late: the vector as of its own time, without v-4 (after it); its previous event is v-3 (at 20 s), which had
    // already left the events the state keeps (more than 5 min before v-4).
    expect(vector('v-6')?.features).toMatchObject({ session_events: 4, session_page_views: 1, session_clicks: 2, session_add_to_carts: 0, session_cart_value: 0, session_duration_s: 370, seconds_since_prev_event: 350 });
    expect(vector('v-8')?.features).toMatchObject({ session_events: 6, session_clicks: 3, seconds_since_prev_event: 40 });

    const dlq = (await readTopicUntil(kafka, topics.deadLetters, (r) => r.length >= 2, 60_000)).map((r) => r.value);
    expect(dlq.map((d) => ({ id: topics.rawEvents.codec.decode(d.payload).messageId, field: d.field, reason: d.reason }))).toEqual(
      expect.arrayContaining([
        { id: 'v-5', field: 'anonymousId', reason: 'identify refused: anonymous id visitor-anon is already linked to user shopper-1, not shopper-2' },
        { id: 'v-7', field: 'timestamp', reason: expect.stringContaining('beyond the lateness bound of 300 s') },
      ]),
    );
    const metrics = await (await fetch(`${enricherUrl}/metrics`)).text();
    expect(metrics).toMatch(/telltale_enricher_identity_links_total\{outcome="refused"[^}]*\} 1/);
    expect(metrics).toMatch(/telltale_enricher_late_events_total\{outcome="joined"[^}]*\} 1/);
    expect(metrics).toMatch(/telltale_enricher_late_events_total\{outcome="dead_lettered"[^}]*\} 1/);
    expect(metrics).toMatch(/telltale_enricher_late_vectors_total\{as_of="exact"[^}]*\} 1/);

    // ClickHouse: the duplicate across the restart is one row WITHOUT FINAL; one profile for the person, counting the
    // anonymous events before the login; the link in identities.
    await eventually(async () => Number((await query<{ n: string }>('SELECT count() AS n FROM events'))[0]!.n) >= 6, 'the sink to write the clean events', 60_000);
    expect(await query("SELECT message_id, count() AS n FROM events WHERE message_id = 'v-2' GROUP BY message_id")).toEqual([{ message_id: 'v-2', n: '1' }]);
    await eventually(async () => (await query('SELECT * FROM identities')).length === 1, 'the identity link in ClickHouse', 60_000);
    expect(await query('SELECT anonymous_id, user_id, source FROM identities')).toEqual([{ anonymous_id: 'visitor-anon', user_id: 'shopper-1', source: 'identify' }]);
    const profiles = await query<Record<string, unknown>>('SELECT user_key, known_user_id, anonymous_ids, sessions, events, add_to_carts FROM user_profiles');
    expect(profiles).toEqual([{ user_key: 'shopper-1', known_user_id: 'shopper-1', anonymous_ids: ['visitor-anon'], sessions: '1', events: '6', add_to_carts: '1' }]);
  }, 300_000);

  it('loses and repeats nothing when killed with -9 while events flow: every event once, counters continue', async () => {
    const VISITORS = 60;
    const STEPS = 40;
    const T1 = T0 + 3_600 * SECOND;
    const events = Array.from({ length: STEPS }, (_, step) =>
      Array.from({ length: VISITORS }, (_, v) =>
        visitorEvent(`flow-${v}-${step}`, 0, { anonymousId: `flow-${v}`, timestamp: T1 + step * 5 * SECOND, receivedAt: T1 + step * 5 * SECOND + 10 }),
      ),
    ).flat();
    const waves = Array.from({ length: 8 }, (_, i) => events.slice((i * events.length) / 8, ((i + 1) * events.length) / 8));

    const enricher = pipeline!.services.find((s) => s.name === 'enricher')!;
    for (const [i, wave] of waves.entries()) {
      await producer.send(topics.rawEvents, wave);
      if (i === 3) {
        // Killed while it works through the waves so far: a chunk's transaction may be open at that moment.
        const killed = enricher.pid!;
        process.kill(killed, 'SIGKILL');
        await eventually(async () => enricher.pid !== killed && enricher.status === 'healthy', 'the enricher to be restarted', 120_000);
      }
    }
    await eventually(async () => (await consumerLag(kafka, groups.enricher, topics.rawEvents.name)) === 0, 'the enricher to commit every raw event', 180_000);

    const isFlow = (messageId: string) => messageId.startsWith('flow-');
    const clean = (await readTopicUntil(kafka, topics.cleanEvents, (r) => r.filter((x) => isFlow(x.value.messageId)).length >= events.length, 120_000))
      .map((r) => r.value)
      .filter((e) => isFlow(e.messageId));
    expect(clean).toHaveLength(events.length);
    expect(new Set(clean.map((e) => e.messageId)).size).toBe(events.length);
    const sessionsByVisitor = new Map<string, Set<string>>();
    for (const e of clean) sessionsByVisitor.set(e.anonymousId!, (sessionsByVisitor.get(e.anonymousId!) ?? new Set()).add(e.sessionId));
    expect([...sessionsByVisitor.values()].every((ids) => ids.size === 1)).toBe(true);

    const features = (await readTopicUntil(kafka, topics.features, (r) => r.filter((x) => isFlow(x.value.messageId)).length >= events.length, 120_000))
      .map((r) => r.value)
      .filter((f) => isFlow(f.messageId));
    expect(features).toHaveLength(events.length);
    // The n-th event of a visit counts n events, however the kill cut the visit.
    for (const f of features) expect(f.features.session_events).toBe(Number(f.messageId.split('-')[2]) + 1);

    await eventually(
      async () => Number((await query<{ n: string }>("SELECT count() AS n FROM events WHERE startsWith(message_id, 'flow-')"))[0]!.n) >= events.length,
      'the sink to write every event',
      120_000,
    );
    expect(await query("SELECT count() AS n, uniqExact(message_id) AS ids FROM events WHERE startsWith(message_id, 'flow-')")).toEqual([
      { n: String(events.length), ids: String(events.length) },
    ]);
  }, 420_000);
});
