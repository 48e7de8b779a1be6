import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { LoadDriver } from './load-driver';
import { ShopperEvents } from './shopper-events';

// The driver's bookkeeping against a real HTTP server whose answers the test chooses per request: what counts as
// acknowledged, and that a retry carries the same messageIds.

interface Posted {
  ids: string[];
  status: number;
}

async function collectorAnswering(answer: (ids: string[], attempt: number) => number): Promise<{ url: string; posted: Posted[]; close(): Promise<void> }> {
  const posted: Posted[] = [];
  const attempts = new Map<string, number>();
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const ids = (JSON.parse(body) as { batch: Array<{ messageId: string }> }).batch.map((e) => e.messageId);
      const key = ids.join(',');
      const attempt = (attempts.get(key) ?? 0) + 1;
      attempts.set(key, attempt);
      const status = answer(ids, attempt);
      posted.push({ ids, status });
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(status === 200 ? { success: true, accepted: ids.length } : { error: 'no' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    posted,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('LoadDriver', () => {
  test('a 503 is retried with the same messageIds, and only the 200 counts', async () => {
    const collector = await collectorAnswering((_ids, attempt) => (attempt === 1 ? 503 : 200));
    try {
      const driver = new LoadDriver({ collectorUrl: collector.url, source: new ShopperEvents('t-'), maxEvents: 120, batchSize: 50, connections: 2 }).start();
      expect(await driver.drained(30_000)).toBe(true);
      const stats = await driver.stop(1_000);

      expect(stats).toMatchObject({ generated: 120, acknowledged: 120, rejected: 0, abandoned: 0, retries: 3, answers: { '200': 3, '503': 3 } });
      const firsts = collector.posted.filter((p) => p.status === 503).map((p) => p.ids);
      const retries = collector.posted.filter((p) => p.status === 200).map((p) => p.ids);
      expect(new Set(retries.map((ids) => ids.join(',')))).toEqual(new Set(firsts.map((ids) => ids.join(','))));
      expect(driver.acknowledged).toEqual(new Set(retries.flat()));
    } finally {
      await collector.close();
    }
  });

  test('a source without pre-encoded batches: the driver builds the JSON, with the same bookkeeping', async () => {
    const collector = await collectorAnswering(() => 200);
    try {
      const shoppers = new ShopperEvents('obj-');
      const driver = new LoadDriver({ collectorUrl: collector.url, source: { next: (n) => shoppers.next(n) }, maxEvents: 75, batchSize: 50 }).start();
      expect(await driver.drained(30_000)).toBe(true);
      const stats = await driver.stop(1_000);

      expect(stats).toMatchObject({ generated: 75, acknowledged: 75, requests: 2 });
      expect(driver.acknowledged).toEqual(new Set(collector.posted.flatMap((p) => p.ids)));
    } finally {
      await collector.close();
    }
  });

  test('a 4xx is final and never acknowledged', async () => {
    const collector = await collectorAnswering(() => 400);
    try {
      const driver = new LoadDriver({ collectorUrl: collector.url, source: new ShopperEvents('t-'), maxEvents: 10 }).start();
      expect(await driver.drained(30_000)).toBe(true);
      const stats = await driver.stop(1_000);
      expect(stats).toMatchObject({ acknowledged: 0, rejected: 10, retries: 0 });
      expect(stats.refusals[0]).toMatch(/^400/);
    } finally {
      await collector.close();
    }
  });

  test('what is still failing when stop() gives up is abandoned, not acknowledged', async () => {
    const collector = await collectorAnswering(() => 503);
    try {
      const driver = new LoadDriver({ collectorUrl: collector.url, source: new ShopperEvents('t-'), maxEvents: 100, connections: 2 }).start();
      // Both batches were posted and refused at least once before the driver gives up.
      while (collector.posted.length < 2) await new Promise((r) => setTimeout(r, 20));
      const stats = await driver.stop(200);
      expect(stats).toMatchObject({ acknowledged: 0, abandoned: 100 });
      expect(driver.acknowledged.size).toBe(0);
    } finally {
      await collector.close();
    }
  });
});
