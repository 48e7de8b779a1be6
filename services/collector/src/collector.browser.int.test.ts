// A real browser on another origin sends events the ways browser trackers do: fetch with a text/plain JSON body
// (analytics.js, no CORS preflight), navigator.sendBeacon (page unload), and fetch with application/json
// (preflighted). All three must reach events.raw.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { launchTestChromium, readTopicUntil } from '@telltale/testing';
import { startTestCollector, type TestCollector } from './collector.test-harness';

function trackerPage(collectorUrl: string): string {
  return `<!doctype html><html><body><script>
    const batch = (id) => JSON.stringify({ batch: [{ type: 'track', event: 'Product Clicked', anonymousId: 'browser-1', messageId: id,
      timestamp: new Date().toISOString(), properties: { productId: 'p1' }, context: { page: { path: location.pathname } } }] });
    window.results = (async () => {
      const plain = await fetch('${collectorUrl}/v1/batch', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: batch('b-fetch'), keepalive: true });
      const beacon = navigator.sendBeacon('${collectorUrl}/v1/batch', new Blob([batch('b-beacon')], { type: 'text/plain' }));
      const json = await fetch('${collectorUrl}/v1/batch', { method: 'POST', headers: { 'content-type': 'application/json' }, body: batch('b-json') });
      return { plain: plain.status, plainBody: await plain.json(), beacon, json: json.status };
    })();
  </script></body></html>`;
}

describe('collector from a browser on another origin', () => {
  let collector: TestCollector;
  let site: http.Server;
  let browser: Browser;

  beforeAll(async () => {
    collector = await startTestCollector('browser');
    // The shop's site: another port, so another origin.
    site = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(trackerPage(collector.url));
    });
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    browser = await launchTestChromium();
  });

  afterAll(async () => {
    await browser?.close();
    site?.close();
    await collector?.close();
  });

  it('accepts fetch (text/plain and JSON) and sendBeacon, and the events reach Kafka', async () => {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(site.address() as AddressInfo).port}/product/1`);
    const results = await page.evaluate('window.results');
    expect(results).toEqual({ plain: 200, plainBody: { success: true, accepted: 1 }, beacon: true, json: 200 });

    const raw = await readTopicUntil(collector.kafka, collector.topics.rawEvents, (r) => r.length >= 3);
    expect(raw.map((r) => r.value.messageId).sort()).toEqual(['b-beacon', 'b-fetch', 'b-json']);
    expect(raw[0]!.key).toBe('browser-1');
    expect(JSON.parse(raw[0]!.value.context)).toEqual({ page: { path: '/product/1' } });
  });
});
