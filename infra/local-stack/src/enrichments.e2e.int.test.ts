// The context enrichments end to end (README "Enrichments"): Segment events POSTed to the collector as processes,
// through the enricher and the sink, read back from ClickHouse `events` column by column.
import path from 'node:path';
import { topicsFor } from '@telltale/contracts';
import { ensureTopics } from '@telltale/kafka';
import { createTestDatabase, eventually, freePort, testId, testKafka, type TestDatabase } from '@telltale/testing';
import { REPO_ROOT } from './infrastructure';
import { startPipeline, type Pipeline } from './pipeline';

const IPHONE_SAFARI =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1';
const CHROME_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const GOOGLEBOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';

const COLUMNS = `message_id, user_agent, browser_name, browser_version, os_name, os_version, device_type, is_bot,
  utm_source, utm_medium, utm_campaign, utm_term, utm_content, referrer_class, referrer_host`;

describe('context enrichments end to end', () => {
  const prefix = `${testId('enrich-e2e')}.`;
  let db: TestDatabase;
  let pipeline: Pipeline | undefined;
  let collectorUrl: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    await ensureTopics(testKafka(), Object.values(topicsFor(prefix)));
    const ports = { collector: await freePort(), enricher: await freePort(), sink: await freePort() };
    collectorUrl = `http://127.0.0.1:${ports.collector}`;
    pipeline = await startPipeline({
      services: ['collector', 'enricher', 'sink'],
      ports,
      logDir: path.join(REPO_ROOT, '.local', 'logs', prefix.slice(0, -1)),
      env: {
        KAFKA_BROKERS: process.env.KAFKA_BROKERS,
        CLICKHOUSE_URL: db.settings.url,
        CLICKHOUSE_DATABASE: db.settings.database,
        TOPIC_PREFIX: prefix,
        ENRICHER_GROUP_ID: testId('enricher'),
        SINK_GROUP_ID: testId('sink'),
        SINK_MAX_WAIT_MS: '200',
      },
    });
  });

  afterAll(async () => {
    await pipeline?.stop();
    await db?.drop();
  });

  it('stores browser, OS, device, bot flag, UTM fields and referrer class of each event', async () => {
    const at = (s: number) => new Date(Date.now() - 60_000 + s * 1000).toISOString();
    const landingUrl = 'https://shop.example.com/p/sku-1?utm_source=google&utm_medium=cpc&utm_campaign=spring%20sale&utm_term=boots&utm_content=ad-1';
    const batch = [
      // A phone lands from a Google ad.
      {
        type: 'page',
        anonymousId: 'anon-phone',
        messageId: 'ctx-1',
        timestamp: at(0),
        context: { userAgent: IPHONE_SAFARI, page: { url: landingUrl, path: '/p/sku-1', referrer: 'https://www.google.com/' } },
      },
      // ... and moves on inside the shop.
      {
        type: 'page',
        anonymousId: 'anon-phone',
        messageId: 'ctx-2',
        timestamp: at(5),
        context: { userAgent: IPHONE_SAFARI, page: { url: 'https://shop.example.com/c/shoes', path: '/c/shoes', referrer: landingUrl } },
      },
      // A desktop browser from a newsletter: Segment's context.campaign, no referrer (mail apps send none).
      {
        type: 'page',
        anonymousId: 'anon-desk',
        messageId: 'ctx-3',
        timestamp: at(1),
        context: { userAgent: CHROME_WINDOWS, campaign: { name: 'weekly', source: 'newsletter', medium: 'email' }, page: { url: 'https://shop.example.com/' } },
      },
      { type: 'page', anonymousId: 'anon-bot', messageId: 'ctx-4', timestamp: at(2), context: { userAgent: GOOGLEBOT, page: { url: 'https://shop.example.com/c/shoes' } } },
      // A server-side call: no user agent, no page.
      { type: 'track', event: 'Product Clicked', userId: 'server-user', messageId: 'ctx-5', timestamp: at(3), properties: { productId: 'sku-1' } },
    ];
    const res = await fetch(`${collectorUrl}/v1/batch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ batch }) });
    expect(res.status).toBe(200);

    const rows = await eventually(async () => {
      const rs = await db.client.query({
        query: `SELECT ${COLUMNS} FROM events WHERE message_id LIKE 'ctx-%' ORDER BY message_id`,
        format: 'JSONEachRow',
      });
      const found = await rs.json<Record<string, unknown>>();
      return found.length === 5 ? found : undefined;
    }, 'the five events in ClickHouse');

    const none = {
      user_agent: null,
      browser_name: null,
      browser_version: null,
      os_name: null,
      os_version: null,
      device_type: null,
      is_bot: false,
      utm_source: null,
      utm_medium: null,
      utm_campaign: null,
      utm_term: null,
      utm_content: null,
      referrer_class: null,
      referrer_host: null,
    };
    const iphone = { user_agent: IPHONE_SAFARI, browser_name: 'Safari', browser_version: '18.1', os_name: 'iOS', os_version: '18.1', device_type: 'mobile', is_bot: false };
    expect(rows).toEqual([
      {
        ...none,
        ...iphone,
        message_id: 'ctx-1',
        utm_source: 'google',
        utm_medium: 'cpc',
        utm_campaign: 'spring sale',
        utm_term: 'boots',
        utm_content: 'ad-1',
        referrer_class: 'search',
        referrer_host: 'www.google.com',
      },
      { ...none, ...iphone, message_id: 'ctx-2', referrer_class: 'internal', referrer_host: 'shop.example.com' },
      {
        ...none,
        message_id: 'ctx-3',
        user_agent: CHROME_WINDOWS,
        browser_name: 'Chrome',
        browser_version: '131.0.0.0',
        os_name: 'Windows',
        os_version: '10',
        device_type: 'desktop',
        utm_source: 'newsletter',
        utm_medium: 'email',
        utm_campaign: 'weekly',
        referrer_class: 'email',
      },
      { ...none, message_id: 'ctx-4', user_agent: GOOGLEBOT, browser_name: 'Googlebot', browser_version: '2.1', device_type: 'bot', is_bot: true, referrer_class: 'direct' },
      { ...none, message_id: 'ctx-5' },
    ]);
  });
});
