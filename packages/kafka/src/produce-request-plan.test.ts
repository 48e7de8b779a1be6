import {
  maxRecordBytes,
  PARTITION_OVERHEAD,
  planRequests,
  RECORD_BATCH_OVERHEAD,
  recordBytes,
  REQUEST_OVERHEAD,
  RequestSizer,
  TOPIC_OVERHEAD,
  type SizedRecord,
} from './produce-request-plan';

interface TestRecord extends SizedRecord {
  id: number;
}

const threePartitions = () => 3;

/** What the request holding exactly `records` is estimated at. */
function requestSize(records: SizedRecord[], partitionsOf: (t: string) => number = threePartitions): number {
  const sizer = new RequestSizer(partitionsOf);
  for (const r of records) sizer.add(r);
  return sizer.size;
}

describe('recordBytes', () => {
  it('counts key, value, every header (name and value) and the worst-case framing', () => {
    const bare = recordBytes(null, Buffer.alloc(0));
    expect(recordBytes('ab', Buffer.alloc(10))).toBe(bare + 12);
    // Multi-byte characters count by their UTF-8 bytes.
    expect(recordBytes('é', null)).toBe(bare + 2);
    const withHeaders = recordBytes(null, Buffer.alloc(0), { stage: 'enricher', reason: Buffer.alloc(7), many: ['a', 'bc'] });
    expect(withHeaders).toBe(bare + (10 + 5 + 8) + (10 + 6 + 7) + (10 + 4 + 1) + (10 + 4 + 2));
  });

  it('is never below what kafkajs writes for a record', () => {
    // kafkajs v2 record: varint length, int8 attributes, varlong timestamp delta, varint offset delta,
    // varint-prefixed key and value, varint header count (each header varint-prefixed key and value).
    const key = 'user-1';
    const value = Buffer.alloc(300);
    const body = 1 + 1 + 1 + (1 + key.length) + (2 + value.length) + 1;
    const written = 2 + body;
    expect(recordBytes(key, value)).toBeGreaterThanOrEqual(written);
  });
});

describe('planRequests', () => {
  it('keeps every request within the budget for many small records, in order, without losing any', () => {
    const records: TestRecord[] = Array.from({ length: 10_000 }, (_, id) => ({ id, topic: id % 3 === 0 ? 'events.clean' : 'features', bytes: 100 + (id % 50) }));
    const budget = 64 * 1024;
    const { requests, tooLarge } = planRequests(records, budget, threePartitions);

    expect(tooLarge).toEqual([]);
    expect(requests.length).toBeGreaterThan(1);
    for (const request of requests) expect(requestSize(request)).toBeLessThanOrEqual(budget);
    expect(requests.flat().map((r) => r.id)).toEqual(records.map((r) => r.id));
    // Requests are filled: each but the last would overflow with the next record.
    for (let i = 0; i < requests.length - 1; i++) {
      expect(requestSize([...requests[i]!, requests[i + 1]![0]!])).toBeGreaterThan(budget);
    }
  });

  it('sets aside a record that alone exceeds the budget, and its neighbours go on in order', () => {
    const budget = 10_000;
    const records: TestRecord[] = [
      { id: 0, topic: 't', bytes: 4000 },
      { id: 1, topic: 't', bytes: 20_000 },
      { id: 2, topic: 't', bytes: 4000 },
      { id: 3, topic: 't', bytes: 4000 },
    ];
    const { requests, tooLarge } = planRequests(records, budget, threePartitions);
    expect(tooLarge.map((r) => r.id)).toEqual([1]);
    expect(requests.map((r) => r.map((x) => x.id))).toEqual([[0, 2], [3]]);
  });

  it('accepts a record of exactly the largest size that fits alone, and not one byte more', () => {
    const budget = 8192;
    const limit = maxRecordBytes(budget, 'topic-a');
    expect(limit).toBe(budget - REQUEST_OVERHEAD - TOPIC_OVERHEAD - 'topic-a'.length - PARTITION_OVERHEAD - RECORD_BATCH_OVERHEAD);
    const fits = planRequests([{ id: 0, topic: 'topic-a', bytes: limit }], budget, threePartitions);
    expect(fits.requests).toHaveLength(1);
    expect(requestSize(fits.requests[0]!)).toBe(budget);
    expect(planRequests([{ id: 0, topic: 'topic-a', bytes: limit + 1 }], budget, threePartitions).tooLarge).toHaveLength(1);
  });

  it('charges a record batch per partition a topic may touch, at most its partition count', () => {
    const r = (topic: string): SizedRecord => ({ topic, bytes: 100 });
    const batch = PARTITION_OVERHEAD + RECORD_BATCH_OVERHEAD;
    const base = REQUEST_OVERHEAD + TOPIC_OVERHEAD + 1;
    expect(requestSize([r('a')])).toBe(base + batch + 100);
    expect(requestSize([r('a'), r('a'), r('a')])).toBe(base + 3 * batch + 300);
    // A fourth record of a 3-partition topic shares a batch with one of the others.
    expect(requestSize([r('a'), r('a'), r('a'), r('a')])).toBe(base + 3 * batch + 400);
    // Unknown partition count: every record may be alone in its partition.
    expect(requestSize([r('a'), r('a'), r('a'), r('a')], () => Number.POSITIVE_INFINITY)).toBe(base + 4 * batch + 400);
    expect(requestSize([r('a'), r('b')])).toBe(REQUEST_OVERHEAD + 2 * (TOPIC_OVERHEAD + 1) + 2 * batch + 200);
  });

  it('returns no request for no records', () => {
    expect(planRequests([], 10_000, threePartitions)).toEqual({ requests: [], tooLarge: [] });
  });
});
