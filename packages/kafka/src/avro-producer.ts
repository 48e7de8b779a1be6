import { CompressionTypes, type IHeaders, type Producer } from 'kafkajs';
import { createFastDefaultPartitioner } from './kafkajs-fast-paths';
import type { Topic } from '@telltale/contracts';
import type { Counter, Registry } from '@telltale/runtime';
import { producedCounter } from './consumer-metrics';
import type { KafkaClient } from './kafka-client';
import { isMessageTooLarge, KafkaProduceError, oversizeReason, RecordTooLargeError, type OversizeRecord } from './kafka-errors';
import { maxRecordBytes, recordBytes, RequestSizer } from './produce-request-plan';
import { DEFAULT_MAX_MESSAGE_BYTES, describeProduceLimits } from './topic-admin';

export interface OutgoingRecord<T> {
  /** Partitioning key (user key, model name); null spreads records over partitions. */
  key: string | null;
  value: T;
  headers?: Record<string, string>;
}

export interface EncodedRecord {
  key: string | null;
  value: Buffer;
  headers?: IHeaders;
}

export interface ProducerOptions {
  /**
   * How long to hold records so that concurrent callers share one produce request. 0 sends each call on its own.
   * @default 5
   */
  lingerMs?: number;
  /** Start a request as soon as this many records wait (else after lingerMs, or when a request's worth of bytes waits). @default 500 */
  maxBatchRecords?: number;
  /**
   * Byte budget of one produce request, replacing the one learned from the cluster on connect (the smallest
   * `max.message.bytes` of the stage's topics minus 1 KiB). Set it when DescribeConfigs is not allowed, or to
   * produce smaller requests. At least 4096.
   * @default discovered on connect; 1,047,564 when connect is given no topics or the cluster cannot be asked
   */
  maxRequestBytes?: number;
  /** Called once per produce request with its record count (metrics). */
  onProduceRequest?: (records: number) => void;
  /** Where acknowledged records are counted by topic (telltale_kafka_produced_records_total). */
  registry?: Registry;
}

/** Room kept below the broker's limit besides the overheads the estimate already counts, for what we did not foresee. */
const SAFETY_MARGIN_BYTES = 1024;
const MIN_REQUEST_BYTES = 4096;

interface PendingCall {
  /** 'all': refuse the whole call when a record can never fit; 'fitting': send the rest, report those. */
  mode: 'all' | 'fitting';
  /** Records of the call not yet acknowledged. */
  remaining: number;
  oversize: OversizeRecord[];
  settled: boolean;
  resolve: (oversize: OversizeRecord[]) => void;
  reject: (err: unknown) => void;
}

interface QueuedRecord {
  call: PendingCall;
  index: number;
  topic: string;
  message: EncodedRecord;
  bytes: number;
}

/**
 * Encodes values with their topic's Avro codec and produces them with acks=all. `send` resolves only once the
 * broker has acknowledged every record of the call, so callers (the collector's HTTP 200, a consumer's offset
 * commit) can rely on it.
 *
 * Bounds: no produce request exceeds `requestBudget` bytes (estimated from above, see produce-request-plan.ts),
 * however many records a call holds; calls made within `lingerMs` of each other share requests. Requests go out one
 * at a time, in call order, so one key's records reach their partition in the order they were sent (and a request
 * kafkajs retries cannot be overtaken by a later one). Records that wait while a request is in flight go in the next.
 */
export class AvroProducer {
  private readonly producer: Producer;
  private readonly lingerMs: number;
  private readonly maxBatchRecords: number;
  private readonly onProduceRequest: ((records: number) => void) | undefined;
  private readonly produced: Counter<'topic'> | undefined;
  private budget: number;
  private partitions = new Map<string, number>();
  private queue: QueuedRecord[] = [];
  private queuedBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private pumping: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly client: KafkaClient,
    private readonly options: ProducerOptions = {},
  ) {
    if (options.maxRequestBytes !== undefined && !(Number.isSafeInteger(options.maxRequestBytes) && options.maxRequestBytes >= MIN_REQUEST_BYTES)) {
      throw new Error(`maxRequestBytes must be an integer of at least ${MIN_REQUEST_BYTES}, got ${options.maxRequestBytes}`);
    }
    this.lingerMs = options.lingerMs ?? 5;
    this.maxBatchRecords = options.maxBatchRecords ?? 500;
    this.onProduceRequest = options.onProduceRequest;
    this.produced = options.registry ? producedCounter(options.registry) : undefined;
    this.budget = options.maxRequestBytes ?? DEFAULT_MAX_MESSAGE_BYTES - SAFETY_MARGIN_BYTES;
    this.producer = client.kafka.producer({
      // NOTE: murmur2 like the Java client, so a user's key lands on the same partition whoever produces it.
      // kafkajs's DefaultPartitioner with murmur2 in 32-bit arithmetic: the same partitions (kafkajs-fast-paths.ts).
      createPartitioner: createFastDefaultPartitioner,
      allowAutoTopicCreation: false,
    });
  }

  /**
   * Connects, and learns the byte budget of a request from the topics this producer will write to: the smallest
   * `max.message.bytes` among them minus a margin (unless `maxRequestBytes` was given), and their partition counts.
   */
  async connect(topicNames: string[] = []): Promise<void> {
    await this.producer.connect();
    if (topicNames.length === 0) return;
    try {
      const limits = await describeProduceLimits(this.client, topicNames);
      this.partitions = limits.partitions;
      this.budget = this.options.maxRequestBytes ?? Math.max(MIN_REQUEST_BYTES, limits.maxMessageBytes - SAFETY_MARGIN_BYTES);
      this.client.logger.info(
        { requestBudget: this.budget, maxMessageBytes: limits.maxMessageBytes, limitingTopic: limits.limitingTopic, override: this.options.maxRequestBytes !== undefined },
        'produce request budget',
      );
    } catch (err) {
      // Without DescribeConfigs rights we cannot know; Kafka's default is the likely limit, and a broker refusal
      // still splits requests further (see sendRequest).
      this.client.logger.warn({ err, requestBudget: this.budget }, 'could not read max.message.bytes of the topics; using the default budget');
    }
  }

  /** The byte budget of one produce request. */
  get requestBudget(): number {
    return this.budget;
  }

  /** Partitions of a topic named to `connect` (undefined for others, or when the cluster could not be asked). */
  partitionCount(topicName: string): number | undefined {
    return this.partitions.get(topicName);
  }

  /** The largest record (as `recordBytes` measures it) that can be produced to `topicName`. */
  maxRecordBytes(topicName: string): number {
    return maxRecordBytes(this.budget, topicName);
  }

  /**
   * Encodes (throwing AvroCodecError on a bad value before anything is sent) and produces every record.
   * A record that can never fit a request rejects the whole call with RecordTooLargeError before anything is sent;
   * callers that can route such records elsewhere use `sendFitting`.
   */
  async send<T>(topic: Topic<T>, records: Array<OutgoingRecord<T>>): Promise<void> {
    await this.enqueue(topic.name, this.encode(topic, records), 'all');
  }

  /**
   * Like `send`, but records that can never fit are left out instead of failing the call: the others are produced
   * (in order), and the call resolves with the ones left out (their index in `records` and why), for the caller to
   * dead-letter or refuse.
   */
  sendFitting<T>(topic: Topic<T>, records: Array<OutgoingRecord<T>>): Promise<OversizeRecord[]> {
    return this.enqueue(topic.name, this.encode(topic, records), 'fitting');
  }

  /** For bytes that are already encoded. Refuses the call like `send` when a record can never fit. */
  async sendEncoded(topicName: string, messages: EncodedRecord[]): Promise<void> {
    await this.enqueue(topicName, messages, 'all');
  }

  private encode<T>(topic: Topic<T>, records: Array<OutgoingRecord<T>>): EncodedRecord[] {
    return records.map((r) => ({ key: r.key, value: topic.codec.encode(r.value), headers: r.headers }));
  }

  private enqueue(topicName: string, messages: EncodedRecord[], mode: PendingCall['mode']): Promise<OversizeRecord[]> {
    const limit = this.maxRecordBytes(topicName);
    const sized = messages.map((message, index) => ({ message, index, bytes: recordBytes(message.key, message.value, message.headers) }));
    const oversize: OversizeRecord[] = sized
      .filter((r) => r.bytes > limit)
      .map((r) => ({ index: r.index, topic: topicName, bytes: r.bytes, limit, reason: oversizeReason(r.bytes, limit, topicName) }));
    if (oversize.length > 0 && mode === 'all') return Promise.reject(new RecordTooLargeError(oversize));
    const fitting = oversize.length === 0 ? sized : sized.filter((r) => r.bytes <= limit);
    // Nothing to send is fine even when closed: callers need not guard their possibly empty lists.
    if (fitting.length === 0) return Promise.resolve(oversize);
    if (this.closed) return Promise.reject(new Error('producer is closed'));
    return new Promise<OversizeRecord[]>((resolve, reject) => {
      const call: PendingCall = { mode, remaining: fitting.length, oversize, settled: false, resolve, reject };
      for (const r of fitting) {
        this.queue.push({ call, index: r.index, topic: topicName, message: r.message, bytes: r.bytes });
        this.queuedBytes += r.bytes;
      }
      if (this.lingerMs === 0 || this.queue.length >= this.maxBatchRecords || this.queuedBytes >= this.budget) this.startSending();
      else this.timer ??= setTimeout(() => this.startSending(), this.lingerMs);
    });
  }

  private startSending(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    // The running loop takes whatever is queued when its request is acknowledged.
    if (this.pumping) return;
    this.pumping = this.sendQueued().finally(() => {
      this.pumping = undefined;
      // TRICKY: records queued after the loop saw an empty queue, but before this ran, found it still running.
      if (this.queue.length > 0) this.startSending();
    });
  }

  private async sendQueued(): Promise<void> {
    while (this.queue.length > 0) {
      const request = this.takeRequest();
      try {
        if (request.length > 0) await this.sendRequest(request);
      } catch (err) {
        // Not a broker answer (those are handled in sendRequest) but a bug: fail the calls rather than leave them hanging.
        for (const r of request) settle(r.call, err);
      }
    }
  }

  /** The longest prefix of the queue that fits the budget (at least one record: each fits alone). */
  private takeRequest(): QueuedRecord[] {
    const sizer = new RequestSizer((t) => this.partitions.get(t) ?? Number.POSITIVE_INFINITY);
    let taken = 0;
    let takenBytes = 0;
    for (const record of this.queue) {
      if (!sizer.isEmpty && sizer.sizeWith(record) > this.budget) break;
      sizer.add(record);
      taken += 1;
      takenBytes += record.bytes;
    }
    const request = this.queue.splice(0, taken);
    this.queuedBytes -= takenBytes;
    // Records of a call that already failed are not sent: the caller has its error and will retry the whole call.
    return request.filter((r) => !r.call.settled);
  }

  private async sendRequest(records: QueuedRecord[]): Promise<void> {
    const live = records.filter((r) => !r.call.settled);
    if (live.length === 0) return;
    const byTopic = new Map<string, EncodedRecord[]>();
    for (const r of live) {
      const list = byTopic.get(r.topic) ?? [];
      list.push(r.message);
      byTopic.set(r.topic, list);
    }
    try {
      this.onProduceRequest?.(live.length);
      await this.producer.sendBatch({
        acks: -1,
        compression: CompressionTypes.None,
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      });
    } catch (err) {
      if (isMessageTooLarge(err)) return this.splitRefused(live, err);
      const error = new KafkaProduceError([...byTopic.keys()], err);
      for (const r of live) settle(r.call, error);
      return;
    }
    for (const [topic, messages] of byTopic) this.produced?.inc({ topic }, messages.length);
    for (const r of live) acknowledge(r.call);
  }

  /**
   * TRICKY: the estimate is an upper bound of the bytes, so this happens only when the broker's real limit is below
   * the budget (a wrong maxRequestBytes, or a topic's limit lowered since connect). Halve until requests pass; a
   * single record the broker still refuses is reported like any record too large.
   */
  private async splitRefused(records: QueuedRecord[], err: unknown): Promise<void> {
    if (records.length > 1) {
      this.client.logger.warn({ records: records.length, requestBudget: this.budget }, 'broker refused a produce request as too large: splitting it');
      const middle = Math.ceil(records.length / 2);
      await this.sendRequest(records.slice(0, middle));
      await this.sendRequest(records.slice(middle));
      return;
    }
    const r = records[0]!;
    const oversize: OversizeRecord = {
      index: r.index,
      topic: r.topic,
      bytes: r.bytes,
      limit: r.bytes - 1,
      reason: `record of ${r.bytes} bytes refused by the broker as larger than the limit of topic ${r.topic}`,
    };
    this.client.logger.error({ err, topic: r.topic, bytes: r.bytes, requestBudget: this.budget }, 'broker refused a single record as too large');
    if (r.call.mode === 'all') {
      settle(r.call, new RecordTooLargeError([oversize]));
      return;
    }
    r.call.oversize.push(oversize);
    acknowledge(r.call);
  }

  /** Sends what is queued and waits for every outstanding acknowledgement. */
  async flush(): Promise<void> {
    this.startSending();
    while (this.pumping) await this.pumping;
  }

  async disconnect(): Promise<void> {
    this.closed = true;
    await this.flush();
    await this.producer.disconnect();
  }
}

function acknowledge(call: PendingCall): void {
  call.remaining -= 1;
  if (call.remaining === 0 && !call.settled) {
    call.settled = true;
    call.resolve(call.oversize.sort((a, b) => a.index - b.index));
  }
}

function settle(call: PendingCall, err: unknown): void {
  if (call.settled) return;
  call.settled = true;
  call.reject(err);
}
