import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { eventually } from '@telltale/testing';
import { startTraffic } from './traffic-run';

interface Received {
  ids: string[];
  sentAt: string;
  authorization: string | undefined;
}

/** A stand-in collector on loopback that fails the first `failFirst` requests with 503. */
async function fakeCollector(failFirst: number, refuse = false) {
  const received: Received[] = [];
  let requests = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      requests += 1;
      const parsed = JSON.parse(body) as { batch: Array<{ messageId: string }>; sentAt: string };
      received.push({ ids: parsed.batch.map((e) => e.messageId), sentAt: parsed.sentAt, authorization: req.headers.authorization });
      if (requests <= failFirst) {
        res.writeHead(503).end('{"error":"unavailable"}');
      } else if (refuse) {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'invalid events', accepted: 0, rejected: parsed.batch.map((_, index) => ({ index })) }));
      } else {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ success: true, accepted: parsed.batch.length }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('startTraffic', () => {
  it('retries 5xx with the same messageIds and counts what the collector accepted', async () => {
    const collector = await fakeCollector(2);
    try {
      const run = startTraffic({
        collectorUrl: collector.url,
        eventsPerSecond: 200,
        seed: 'retry',
        maxInFlight: 1,
        sender: { initialDelayMs: 5, maxDelayMs: 10 },
      });
      // Two refused attempts, then at least one accepted request.
      await eventually(() => collector.received.length >= 3, 'a third request reached the collector', 20_000);
      const stats = await run.stop();
      const [first, second, third] = collector.received;
      expect(second!.ids).toEqual(first!.ids);
      expect(third!.ids).toEqual(first!.ids);
      const delivered = collector.received.slice(2).flatMap((r) => r.ids);
      expect(new Set(delivered).size).toBe(delivered.length);
      expect(stats.accepted).toBe(delivered.length);
      expect(stats.accepted).toBe(stats.eventsGenerated);
      expect(stats.retries).toBe(2);
      expect(stats).toMatchObject({ rejected: 0, failed: 0, queued: 0, inFlightBatches: 0 });
    } finally {
      await collector.close();
    }
  });

  it('sends the write key as HTTP Basic auth, as Segment libraries do', async () => {
    const collector = await fakeCollector(0);
    try {
      const run = startTraffic({ collectorUrl: collector.url, writeKey: 'wk-traffic-1', eventsPerSecond: 100, seed: 2 });
      await eventually(() => collector.received.length >= 1, 'a request reached the collector', 20_000);
      await run.stop();
      expect(collector.received[0]!.authorization).toBe(`Basic ${Buffer.from('wk-traffic-1:').toString('base64')}`);
    } finally {
      await collector.close();
    }
  });

  it('counts refused events as rejected without retrying them', async () => {
    const collector = await fakeCollector(0, true);
    try {
      const controller = new AbortController();
      const run = startTraffic({ collectorUrl: collector.url, eventsPerSecond: 100, seed: 1, signal: controller.signal });
      await eventually(() => collector.received.length >= 1, 'a request reached the collector', 20_000);
      controller.abort();
      const stats = await run.done;
      expect(stats.rejected).toBe(stats.eventsGenerated);
      expect(stats.rejected).toBeGreaterThan(0);
      expect(stats.accepted).toBe(0);
      expect(collector.received.flatMap((r) => r.ids)).toHaveLength(stats.rejected);
    } finally {
      await collector.close();
    }
  });

  it('gives up on an unreachable collector at the stop deadline', async () => {
    const run = startTraffic({
      collectorUrl: 'http://127.0.0.1:9', // discard port: nothing listens
      eventsPerSecond: 100,
      seed: 2,
      stopDeadlineMs: 300,
      // Without the deadline, stop() would wait out ~1000 retries a second apart and the test would time out.
      sender: { retries: 1_000, initialDelayMs: 1_000, maxDelayMs: 1_000 },
    });
    await eventually(() => run.stats().eventsGenerated > 0, 'events generated', 20_000);
    const stats = await run.stop();
    expect(stats.accepted).toBe(0);
    expect(stats.failed + stats.dropped).toBe(stats.eventsGenerated);
  });
});
