import { topicsFor, type RawEvent } from '@telltale/contracts';

function sampleEvents(n: number): RawEvent[] {
  return Array.from({ length: n }, (_, i) => ({
    messageId: `0b6f8f7e-6a53-4c3b-9a1e-${String(i).padStart(12, '0')}`,
    type: 'track',
    event: 'Product Added',
    userId: i % 3 === 0 ? `user-${i % 1000}` : null,
    anonymousId: `anon-${i % 5000}`,
    timestamp: 1_714_557_600_000 + i,
    sentAt: 1_714_557_600_100 + i,
    receivedAt: 1_714_557_600_150 + i,
    properties: JSON.stringify({ productId: `sku-${i % 200}`, category: 'shoes', price: 19.9, quantity: 1 }),
    context: JSON.stringify({ userAgent: 'Mozilla/5.0 (X11; Linux x86_64)', page: { path: '/p/1', url: 'https://shop.example/p/1' } }),
    source: 'http',
  }));
}

/** The median ms of `rounds` runs of `fn`, after one to warm up the JIT. */
export function timeIt(fn: () => void, rounds: number): number {
  fn(); // warm up the JIT
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    fn();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return samples.sort((a, b) => a - b)[Math.floor(samples.length / 2)]!;
}

/** Avro single-object encoding (our wire format) against JSON text (the baseline most trackers ship). */
export function benchCodec() {
  const codec = topicsFor('').rawEvents.codec;
  const events = sampleEvents(20_000);
  const avro = events.map((e) => codec.encode(e));
  const json = events.map((e) => Buffer.from(JSON.stringify(e)));
  const bytes = (list: Buffer[]) => list.reduce((n, b) => n + b.length, 0) / list.length;

  const result = {
    events: events.length,
    bytesPerEvent: { json: Math.round(bytes(json)), avro: Math.round(bytes(avro)) },
    encodeMs: {
      json: timeIt(() => events.forEach((e) => Buffer.from(JSON.stringify(e))), 7),
      avro: timeIt(() => events.forEach((e) => codec.encode(e)), 7),
    },
    decodeMs: {
      json: timeIt(() => json.forEach((b) => JSON.parse(b.toString('utf8'))), 7),
      avro: timeIt(() => avro.forEach((b) => codec.decode(b)), 7),
    },
  };
  console.log('\n## Wire format: Avro single-object vs JSON (baseline), 20k raw events, median of 7');
  console.log(`size    json ${result.bytesPerEvent.json} B/event, avro ${result.bytesPerEvent.avro} B/event → avro/json = ${ratio(result.bytesPerEvent.avro, result.bytesPerEvent.json)}`);
  console.log(`encode  json ${result.encodeMs.json.toFixed(1)} ms, avro (validated) ${result.encodeMs.avro.toFixed(1)} ms → avro/json time = ${ratio(result.encodeMs.avro, result.encodeMs.json)}`);
  console.log(`decode  json ${result.decodeMs.json.toFixed(1)} ms, avro ${result.decodeMs.avro.toFixed(1)} ms → avro/json time = ${ratio(result.decodeMs.avro, result.decodeMs.json)}`);
  return result;
}

export const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
