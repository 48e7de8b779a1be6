/**
 * How many bytes a produce request takes on the wire, estimated from above, and how to cut a list of records into
 * requests that each stay under a budget. Pure: no kafkajs, so the arithmetic can be tested on its own.
 *
 * The broker refuses a record batch (one topic-partition of a request) over `max.message.bytes`; kafkajs puts every
 * record of a `sendBatch` for one broker into one request, so a backlog turns into one oversized request unless we
 * cut it ourselves (librdkafka does this with `message.max.bytes`; with kafkajs it is ours to do).
 */

/** Record batch header (v2, uncompressed): base offset 8, length 4, leader epoch 4, magic 1, CRC 4, attributes 2,
 * last offset delta 4, first/max timestamp 16, producer id 8, producer epoch 2, base sequence 4, record count 4. */
export const RECORD_BATCH_OVERHEAD = 61;
/** Per topic-partition in a produce request, besides its record batch: partition id 4, record-set length 4. */
export const PARTITION_OVERHEAD = 8;
/** Per topic in a produce request, besides its name: name length 2, partition array length 4. */
export const TOPIC_OVERHEAD = 6;
/** Request header and produce fields (api key/version, correlation id, client id, transactional id, acks, timeout,
 * topic array length), with room for a client id of up to 200 bytes. */
export const REQUEST_OVERHEAD = 256;
/** Worst-case sizes of one record's framing: length varint 5, attributes 1, timestamp delta varlong 10, offset delta
 * varint 5, key length 5, value length 5, header count 5. */
const RECORD_FRAMING = 5 + 1 + 10 + 5 + 5 + 5 + 5;
/** Per header: key length varint 5, value length varint 5. */
const HEADER_FRAMING = 10;

export type HeaderValue = Buffer | string | Array<Buffer | string> | undefined;

/** Upper bound of one record's bytes inside a record batch (v2 record format, uncompressed). */
export function recordBytes(key: Buffer | string | null | undefined, value: Buffer | null, headers?: Record<string, HeaderValue>): number {
  let size = RECORD_FRAMING + byteLength(key) + (value?.length ?? 0);
  for (const [name, headerValue] of Object.entries(headers ?? {})) {
    const values = Array.isArray(headerValue) ? headerValue : [headerValue];
    for (const v of values) size += HEADER_FRAMING + Buffer.byteLength(name) + byteLength(v);
  }
  return size;
}

function byteLength(v: Buffer | string | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'string' ? Buffer.byteLength(v) : v.length;
}

/** What the planner needs to know of a record: its topic and its size from `recordBytes`. */
export interface SizedRecord {
  topic: string;
  bytes: number;
}

/**
 * The largest record (as measured by `recordBytes`) that fits a request of `budget` bytes on its own: a request
 * holding only that record, in one topic-partition.
 */
export function maxRecordBytes(budget: number, topic: string): number {
  return budget - REQUEST_OVERHEAD - TOPIC_OVERHEAD - Buffer.byteLength(topic) - PARTITION_OVERHEAD - RECORD_BATCH_OVERHEAD;
}

/**
 * Grows one request record by record, with an upper bound of its size. Each topic is charged one record batch per
 * partition it may touch: at most min(its records, its partition count), since we do not partition ourselves.
 */
export class RequestSizer {
  private bytes = REQUEST_OVERHEAD;
  private readonly recordsByTopic = new Map<string, number>();

  constructor(private readonly partitionsOf: (topic: string) => number) {}

  /** Bytes the request would take with `record` added. */
  sizeWith(record: SizedRecord): number {
    return this.bytes + this.growth(record);
  }

  add(record: SizedRecord): void {
    this.bytes += this.growth(record);
    this.recordsByTopic.set(record.topic, (this.recordsByTopic.get(record.topic) ?? 0) + 1);
  }

  get size(): number {
    return this.bytes;
  }

  get isEmpty(): boolean {
    return this.recordsByTopic.size === 0;
  }

  private growth(record: SizedRecord): number {
    const inTopic = this.recordsByTopic.get(record.topic) ?? 0;
    const topicBytes = inTopic === 0 ? TOPIC_OVERHEAD + Buffer.byteLength(record.topic) : 0;
    const batchBytes = inTopic < Math.max(1, this.partitionsOf(record.topic)) ? PARTITION_OVERHEAD + RECORD_BATCH_OVERHEAD : 0;
    return topicBytes + batchBytes + record.bytes;
  }
}

export interface RequestPlan<R> {
  /** Requests in input order; sent one after the other they keep every partition's order. */
  requests: R[][];
  /** Records that exceed the budget even alone: never sent. */
  tooLarge: R[];
}

/**
 * Cuts `records` (in order) into consecutive requests of at most `budget` bytes each. A record too large to fit
 * any request is set aside, and its neighbours go on as if it were not there.
 */
export function planRequests<R extends SizedRecord>(records: R[], budget: number, partitionsOf: (topic: string) => number): RequestPlan<R> {
  const requests: R[][] = [];
  const tooLarge: R[] = [];
  let current: R[] = [];
  let sizer = new RequestSizer(partitionsOf);
  for (const record of records) {
    if (record.bytes > maxRecordBytes(budget, record.topic)) {
      tooLarge.push(record);
      continue;
    }
    if (!sizer.isEmpty && sizer.sizeWith(record) > budget) {
      requests.push(current);
      current = [];
      sizer = new RequestSizer(partitionsOf);
    }
    current.push(record);
    sizer.add(record);
  }
  if (current.length > 0) requests.push(current);
  return { requests, tooLarge };
}
