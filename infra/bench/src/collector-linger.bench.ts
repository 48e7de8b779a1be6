import { randomUUID } from 'node:crypto';
import path from 'node:path';
import autocannon from 'autocannon';
import { REPO_ROOT, ensureKafka, parseMetricsText, spawnTsx, stopChild, sumOf, waitForHttp } from '@telltale/local-stack';
import { freePort } from '@telltale/testing';
import { ratio } from './codec.bench';

const EVENTS_PER_REQUEST = 10;
const REQUESTS_PER_ROUND = 10_000;
const CONNECTIONS = 32;

function batchBody(): string {
  const now = new Date().toISOString();
  return JSON.stringify({
    batch: Array.from({ length: EVENTS_PER_REQUEST }, (_, i) => ({
      type: 'track',
      event: 'Product Clicked',
      anonymousId: `bench-${i}`,
      timestamp: now,
      properties: { productId: `sku-${i}` },
    })),
  });
}

interface RoundResult {
  eventsPerS: number;
  eventsPerProduceRequest: number;
}

async function produceRequests(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return sumOf(parseMetricsText(text), 'telltale_collector_produce_requests_total') ?? NaN;
}

async function measure(lingerMs: number, brokers: string): Promise<RoundResult> {
  const port = await freePort();
  const child = spawnTsx(path.join(REPO_ROOT, 'services/collector/src/main.ts'), {
    env: {
      ...process.env,
      KAFKA_BROKERS: brokers,
      TOPIC_PREFIX: `bench_${randomUUID().slice(0, 8)}.`,
      PORT: String(port),
      HOST: '127.0.0.1',
      COLLECTOR_LINGER_MS: String(lingerMs),
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    await waitForHttp(`http://127.0.0.1:${port}/healthz`, { timeoutMs: 60_000, what: 'collector' });
    const body = batchBody();
    const run = (amount: number) =>
      autocannon({
        url: `http://127.0.0.1:${port}/v1/batch`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        connections: CONNECTIONS,
        amount,
      });
    await run(500); // warm-up: connections, JIT, topic metadata
    const requestsBefore = await produceRequests(port);
    const result = await run(REQUESTS_PER_ROUND);
    const requests = (await produceRequests(port)) - requestsBefore;
    if (result.non2xx > 0 || result.errors > 0) throw new Error(`collector answered ${result.non2xx} non-2xx and ${result.errors} errors`);
    // NOTE: result.duration is rounded to whole seconds; start/finish give milliseconds.
    const seconds = (new Date(result.finish).getTime() - new Date(result.start).getTime()) / 1000;
    const events = result['2xx'] * EVENTS_PER_REQUEST;
    return { eventsPerS: events / seconds, eventsPerProduceRequest: events / requests };
  } finally {
    await stopChild(child, 15_000);
  }
}

/**
 * Collector intake with the producer's linger (requests arriving within COLLECTOR_LINGER_MS share one produce
 * request) against the baseline of one produce request per HTTP request. Both answer only after acks=all.
 */
export async function benchCollectorLinger() {
  const kafka = await ensureKafka({ port: 29092, dataDir: path.join(REPO_ROOT, '.local', 'kafka-bench') });
  try {
    // Alternate the variants so drift on a shared machine hits both alike.
    const baseline: RoundResult[] = [];
    const linger: RoundResult[] = [];
    for (let round = 0; round < 2; round++) {
      baseline.push(await measure(0, kafka.brokers));
      linger.push(await measure(5, kafka.brokers));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const summary = (rounds: RoundResult[]) => ({
      eventsPerS: Math.round(median(rounds.map((r) => r.eventsPerS))),
      eventsPerProduceRequest: Math.round(median(rounds.map((r) => r.eventsPerProduceRequest)) * 10) / 10,
    });
    const result = { baseline: summary(baseline), linger: summary(linger), rounds: { baseline, linger } };
    console.log(`\n## Collector intake, ${CONNECTIONS} connections × batches of ${EVENTS_PER_REQUEST}, ${REQUESTS_PER_ROUND} requests/round, acks=all`);
    const { baseline: b, linger: l } = result;
    console.log(`baseline (COLLECTOR_LINGER_MS=0) ${b.eventsPerS} events/s, ${b.eventsPerProduceRequest} events per produce request`);
    console.log(`linger 5 ms (default)            ${l.eventsPerS} events/s, ${l.eventsPerProduceRequest} events per produce request`);
    console.log(`linger/baseline: throughput ${ratio(l.eventsPerS, b.eventsPerS)}, produce requests per event ${ratio(1 / l.eventsPerProduceRequest, 1 / b.eventsPerProduceRequest)}`);
    return result;
  } finally {
    await kafka.stop();
  }
}
