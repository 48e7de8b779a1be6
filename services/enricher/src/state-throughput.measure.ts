// Measures the enricher's own work per event once its state is full, without Kafka: one partition's EventEnricher
// over synthetic events (a UUID messageId each, visitors drawn from a population), the state's changes taken every
// CHUNK events and Avro-encoded as a chunk's transaction holds them. Prints µs per event over the second half (the
// state full), garbage-collection time, changelog records and bytes per event, and the heap.
//   node --import tsx services/enricher/src/state-throughput.measure.ts [events] [visitors] [chunk]
// Defaults: 1,500,000 events, 150,000 visitors, 64 events per chunk, the service's default limits (500,000 messageIds,
// 200,000 visitors, 192 MiB per partition).
import { randomUUID } from 'node:crypto';
import { PerformanceObserver } from 'node:perf_hooks';
import { topicsFor } from '@telltale/contracts';
import { EventEnricher } from './event-enricher';
import { rawEvent, T0 } from './raw-event.fixture';

const events = Number(process.argv[2] ?? 1_500_000);
const visitors = Number(process.argv[3] ?? 150_000);
const chunk = Number(process.argv[4] ?? 64);

const codec = topicsFor().enricherState.codec;
const enricher = new EventEnricher({
  sessionTimeoutMs: 30 * 60_000,
  latenessMs: 5 * 60_000,
  maxFutureMs: 300_000,
  dedupeWindowMs: 86_400_000,
  dedupeCapacity: 500_000,
  maxVisitors: 200_000,
  maxBytes: 192 * 1024 * 1024,
  now: () => T0 + 86_400_000,
});
const visitorIds = Array.from({ length: visitors }, () => randomUUID());

let gcMs = 0;
const gcObserver = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcMs += entry.duration;
});
gcObserver.observe({ entryTypes: ['gc'] });

let seed = 1;
const next = () => {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed / 2 ** 32;
};

const half = Math.floor(events / 2);
let busyMs = 0;
let gcAtHalf = 0;
let records = 0;
let changelogBytes = 0;
for (let start = 0; start < events; start += chunk) {
  // Built outside the timed part: the consumer hands the enricher decoded events.
  const batch = Array.from({ length: Math.min(chunk, events - start) }, (_, i) => {
    const n = start + i;
    const t = T0 + n * 2; // 500 events/s of event time: sessions end and start again over the run
    return rawEvent(randomUUID(), visitorIds[Math.floor(next() * visitors)]!, {
      event: n % 7 === 0 ? 'Product Added' : 'Product Clicked',
      properties: n % 7 === 0 ? '{"price":19.9,"quantity":1}' : '{}',
      timestamp: t,
      receivedAt: t + 10,
    });
  });
  if (start >= half && gcAtHalf === 0) {
    busyMs = 0;
    records = 0;
    changelogBytes = 0;
    gcAtHalf = gcMs || Number.MIN_VALUE;
  }
  const began = performance.now();
  for (const raw of batch) enricher.enrich(raw);
  for (const change of enricher.takeChanges()) {
    records += 1;
    changelogBytes += change.key.length + (change.value ? codec.encode(change.value).length : 0);
  }
  busyMs += performance.now() - began;
}

// Let the last GC entries arrive.
setTimeout(() => {
  gcObserver.disconnect();
  const measured = events - half;
  console.log(
    JSON.stringify({
      events,
      visitors,
      chunk,
      trackedVisitors: enricher.trackedVisitors,
      rememberedMessages: enricher.rememberedMessages,
      stateMiB: Number((enricher.stateBytes / 2 ** 20).toFixed(1)),
      heapUsedMiB: Number((process.memoryUsage().heapUsed / 2 ** 20).toFixed(1)),
      // Second half only: the state full.
      usPerEvent: Number(((busyMs * 1000) / measured).toFixed(2)),
      gcMsPerThousandEvents: Number((((gcMs - gcAtHalf) * 1000) / measured).toFixed(2)),
      changelogRecordsPerEvent: Number((records / measured).toFixed(3)),
      changelogBytesPerEvent: Number((changelogBytes / measured).toFixed(1)),
    }),
  );
}, 100);
