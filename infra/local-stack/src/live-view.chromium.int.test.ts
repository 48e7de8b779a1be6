// The live view as people see it: the five services and the console as processes (the launcher's pipeline), the
// traffic generator posting to the collector, and headless Chromium on the page. While traffic flows the page must
// show non-zero numbers that change without a reload, and every chart must have drawn something. A screenshot is
// written to <repo>/.local/live-view.png (README: docs/live-view.png is one of these).
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { topicsFor } from '@telltale/contracts';
import { ensureTopics } from '@telltale/kafka';
import { startTraffic, type TrafficRun } from '@telltale/traffic-generator';
import { createTestDatabase, freePort, launchTestChromium, testId, testKafka, type TestDatabase } from '@telltale/testing';
import { REPO_ROOT } from './infrastructure';
import { PIPELINE_SERVICES, startPipeline, type Pipeline, type ServiceName } from './pipeline';

const SCREENSHOT = path.join(REPO_ROOT, '.local', 'live-view.png');

/** The number an element shows ("1,234.5" → 1234.5); NaN for "–". */
async function numberIn(page: Page, testid: string): Promise<number> {
  const text = (await page.getByTestId(testid).textContent()) ?? '';
  return Number(text.replace(/[^0-9.\-]/g, '') || NaN);
}

/** Polls the page until `ok` holds, with a message naming what never came and what the page showed. */
async function pageUntil(page: Page, what: string, ok: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) {
      const shown = await page.locator('main').innerText().catch(() => '(page unreadable)');
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; the page shows:\n${shown}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe('live view in a browser', () => {
  const prefix = `${testId('live')}.`;
  let db: TestDatabase;
  let pipeline: Pipeline | undefined;
  let traffic: TrafficRun | undefined;
  let browser: Browser | undefined;
  let consoleUrl: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    const kafka = testKafka();
    await ensureTopics(kafka, Object.values(topicsFor(prefix)));
    const services: ServiceName[] = [...PIPELINE_SERVICES, 'console'];
    const ports: Partial<Record<ServiceName, number>> = {};
    for (const name of services) ports[name] = await freePort();
    consoleUrl = `http://127.0.0.1:${ports.console}/`;
    pipeline = await startPipeline({
      services,
      ports,
      logDir: path.join(REPO_ROOT, '.local', 'logs', prefix.slice(0, -1)),
      env: {
        KAFKA_BROKERS: process.env.KAFKA_BROKERS,
        CLICKHOUSE_URL: db.settings.url,
        CLICKHOUSE_DATABASE: db.settings.database,
        TOPIC_PREFIX: prefix,
        ENRICHER_GROUP_ID: `${prefix}enricher`,
        SINK_GROUP_ID: `${prefix}sink`,
        SCORER_GROUP_ID: `${prefix}scorer`,
        SINK_MAX_WAIT_MS: '300',
        // Sessions of the generator last seconds; a short timeout closes them so the trainer sees labelled rows soon.
        ENRICHER_SESSION_TIMEOUT_S: '5',
        TRAINER_INTERVAL_S: '5',
        TRAINER_MIN_ROWS: '100',
        TRAINER_LABEL_DELAY_S: '0',
        // Every model is published, so the AUC chart gains points while the test watches.
        TRAINER_PROMOTION_METRIC: 'none',
        CONSOLE_REFRESH_MS: '1000',
        LOG_LEVEL: 'info',
      },
    });
    traffic = startTraffic({ collectorUrl: `http://127.0.0.1:${ports.collector}`, eventsPerSecond: 40, seed: 'live-view-test' });
    browser = await launchTestChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await traffic?.stop();
    await pipeline?.stop();
    await db?.drop();
  });

  it('shows non-zero numbers that change without a reload, and draws every chart', async () => {
    const page = await browser!.newPage({ viewport: { width: 1400, height: 1250 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(consoleUrl);
    const snapshots = async () => Number((await page.locator('body').getAttribute('data-snapshots')) ?? 0);

    // Throughput from the services' /metrics.
    await pageUntil(page, 'events/s above 0', async () => (await numberIn(page, 'events-per-s')) > 0, 120_000);
    // A model, its scores, the funnel and the tail, from ClickHouse.
    await pageUntil(page, 'a model version', async () => /^v\d+$/.test((await page.getByTestId('model-version').textContent()) ?? ''), 240_000);
    // AUC over time: a second run (the trainer runs every 5 s) adds a point.
    await pageUntil(page, 'a second model run', async () => (await numberIn(page, 'model-runs')) >= 2, 120_000);
    await pageUntil(page, 'live scores', async () => (await numberIn(page, 'scores-total')) > 0, 120_000);
    await pageUntil(page, 'the funnel', async () => /P\(view\) [\d.]+ %/.test((await page.getByTestId('funnel-formula').textContent()) ?? ''), 60_000);

    // Changing: the same page, no reload, later shows other numbers (the score count only grows while traffic flows).
    // A mark on the window: a reload would wipe it.
    await page.evaluate("document.body.setAttribute('data-loaded-once', 'yes')");
    const before = { scores: await numberIn(page, 'scores-total'), snapshots: await snapshots(), tail: await page.locator('[data-testid=tail] tbody').innerText() };
    await pageUntil(page, 'the score count to grow and the tail to change', async () => {
      return (await numberIn(page, 'scores-total')) > before.scores && (await page.locator('[data-testid=tail] tbody').innerText()) !== before.tail;
    }, 120_000);
    expect(await snapshots()).toBeGreaterThan(before.snapshots);
    expect(await page.locator('body').getAttribute('data-loaded-once')).toBe('yes');

    // Every chart drew: lines for the rates, bars for lag, funnel and scores, points for the models.
    await pageUntil(page, 'the rates chart', async () => (await page.locator('[data-testid=rates-chart] polyline').count()) >= 2, 60_000);
    expect(await page.locator('[data-testid=lag-chart] rect').count()).toBeGreaterThan(0);
    expect(await page.locator('[data-testid=funnel-chart] rect').count()).toBe(4);
    expect(await page.locator('[data-testid=scores-chart] rect').count()).toBe(20);
    expect(await page.locator('[data-testid=auc-chart] circle').count()).toBeGreaterThanOrEqual(2);
    expect(await page.locator('[data-testid=auc-chart] polyline').count()).toBe(1);
    expect(await page.locator('[data-testid=tail] tbody tr').count()).toBeGreaterThan(1);
    expect(await numberIn(page, 'model-auc')).toBeGreaterThan(0);
    // Every service answered its /metrics.
    expect(await page.locator('#services span.down').count()).toBe(0);
    expect(pageErrors).toEqual([]);

    mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  }, 600_000);
});
