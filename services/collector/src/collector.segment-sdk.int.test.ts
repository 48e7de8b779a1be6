// Segment's browser SDK, unchanged (@segment/analytics-next, bundled as it is), in headless Chromium on a page of
// another origin, with its CDN URL pointed at the collector: it fetches its settings from the collector and sends
// identify, page and track to the collector's short paths. All three must reach events.raw with the right ids.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { build, stop as stopEsbuild } from 'esbuild';
import type { Browser } from 'playwright-core';
import { launchTestChromium, readTopicUntil } from '@telltale/testing';
import { SourceRegistry } from './collector-sources';
import { startTestCollector, type TestCollector } from './collector.test-harness';

const WRITE_KEY = 'wk-shop-browser-1';

/** The SDK's own code in one script (its lazily loaded chunks inlined), exposing AnalyticsBrowser on window. */
async function sdkBundle(): Promise<string> {
  const result = await build({
    stdin: { contents: "import { AnalyticsBrowser } from '@segment/analytics-next'; window.AnalyticsBrowser = AnalyticsBrowser;", resolveDir: path.join(__dirname, '..') },
    bundle: true,
    format: 'iife',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
  });
  // NOTE: esbuild keeps a service process running for the next build; it would keep jest from exiting.
  await stopEsbuild();
  return result.outputFiles[0]!.text;
}

function shopPage(collectorUrl: string): string {
  return `<!doctype html><html><body><script src="/sdk.js"></script><script>
    window.results = (async () => {
      const analytics = AnalyticsBrowser.load({ writeKey: '${WRITE_KEY}', cdnURL: '${collectorUrl}' });
      await analytics.identify('user-7', { plan: 'pro' });
      await analytics.page('Product');
      await analytics.track('Product Clicked', { productId: 'p1' });
      const [instance] = await analytics;
      return { anonymousId: instance.user().anonymousId() };
    })();
  </script></body></html>`;
}

describe('Segment analytics-next in Chromium, pointed at the collector', () => {
  let collector: TestCollector;
  let site: http.Server;
  let browser: Browser;

  beforeAll(async () => {
    collector = await startTestCollector('segment-sdk', {
      sources: new SourceRegistry([{ name: 'shop-web', writeKey: WRITE_KEY, corsOrigins: null, keepIp: null, rateLimit: null }]),
    });
    const sdk = await sdkBundle();
    // The shop's site: another port, so another origin.
    site = http.createServer((req, res) => {
      if (req.url === '/sdk.js') {
        res.writeHead(200, { 'content-type': 'text/javascript' });
        res.end(sdk);
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(shopPage(collector.url));
    });
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    browser = await launchTestChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    site?.close();
    await collector?.close();
  });

  it('delivers identify, page and track to events.raw with the user’s ids and the source’s name', async () => {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(site.address() as AddressInfo).port}/product/1`);
    const { anonymousId } = (await page.evaluate('window.results')) as { anonymousId: string };
    expect(anonymousId).toEqual(expect.any(String));

    const raw = await readTopicUntil(collector.kafka, collector.topics.rawEvents, (r) => r.length >= 3);
    const byType = Object.fromEntries(raw.map((r) => [r.value.type, r.value]));
    expect(Object.keys(byType).sort()).toEqual(['identify', 'page', 'track']);
    for (const event of Object.values(byType)) expect(event).toMatchObject({ userId: 'user-7', anonymousId, source: 'shop-web' });
    expect(byType.track).toMatchObject({ event: 'Product Clicked' });
    expect(JSON.parse(byType.track!.properties)).toEqual({ productId: 'p1' });
    expect(JSON.parse(byType.identify!.properties)).toEqual({ plan: 'pro' });
  }, 120_000);
});
