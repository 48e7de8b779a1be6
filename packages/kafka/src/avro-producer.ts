import { CompressionTypes, Partitioners, type IHeaders, type Producer } from 'kafkajs';
import type { Topic } from '@telltale/contracts';
import type { KafkaClient } from './kafka-client';

export interface OutgoingRecord<T> {
  /** Partitioning key (user key, model name); null spreads records over partitions. */
  key: string | null;
  value: T;
  headers?: Record<string, string>;
}

export interface ProducerOptions {
  /**
   * How long to hold records so that concurrent callers share one produce request. 0 sends each call on its own.
   * @default 5
   */
  lingerMs?: number;
  /** Flush as soon as this many records wait. @default 500 */
  maxBatchRecords?: number;
  /** Called once per produce request with its record count (metrics). */
  onProduceRequest?: (records: number) => void;
}

interface Pending {
  topic: string;
  messages: Array<{ key: string | null; value: Buffer; headers?: IHeaders }>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Encodes values with their topic's Avro codec and produces them with acks=all. `send` resolves only once the
 * broker has acknowledged every record of the call, so callers (the collector's HTTP 200, a consumer's offset
 * commit) can rely on it. Calls made within `lingerMs` of each other go out as one request.
 */
export class AvroProducer {
  private readonly producer: Producer;
  private readonly lingerMs: number;
  private readonly maxBatchRecords: number;
  private queue: Pending[] = [];
  private queuedRecords = 0;
  private timer: NodeJS.Timeout | undefined;
  private inFlight = new Set<Promise<void>>();
  private closed = false;
  private readonly onProduceRequest: ((records: number) => void) | undefined;

  constructor(
    client: KafkaClient,
    options: ProducerOptions = {},
  ) {
    this.lingerMs = options.lingerMs ?? 5;
    this.maxBatchRecords = options.maxBatchRecords ?? 500;
    this.onProduceRequest = options.onProduceRequest;
    this.producer = client.kafka.producer({
      // NOTE: murmur2 like the Java client, so a user's key lands on the same partition whoever produces it.
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: false,
    });
  }

  async connect(): Promise<void> {
    await this.producer.connect();
  }

  /** Encodes (throwing AvroCodecError on a bad value before anything is sent) and produces. */
  send<T>(topic: Topic<T>, records: Array<OutgoingRecord<T>>): Promise<void> {
    const messages = records.map((r) => ({
      key: r.key,
      value: topic.codec.encode(r.value),
      headers: r.headers,
    }));
    return this.sendEncoded(topic.name, messages);
  }

  /** For bytes that are already encoded (dead letters carry the original payload inside an Avro record). */
  sendEncoded(topicName: string, messages: Array<{ key: string | null; value: Buffer; headers?: IHeaders }>): Promise<void> {
    // Nothing to send is fine even when closed: callers need not guard their possibly empty lists.
    if (messages.length === 0) return Promise.resolve();
    if (this.closed) return Promise.reject(new Error('producer is closed'));
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ topic: topicName, messages, resolve, reject });
      this.queuedRecords += messages.length;
      if (this.lingerMs === 0 || this.queuedRecords >= this.maxBatchRecords) this.flushQueue();
      else this.timer ??= setTimeout(() => this.flushQueue(), this.lingerMs);
    });
  }

  private flushQueue(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.queue;
    const records = this.queuedRecords;
    this.queue = [];
    this.queuedRecords = 0;
    if (batch.length === 0) return;

    const byTopic = new Map<string, Pending['messages']>();
    for (const p of batch) {
      const list = byTopic.get(p.topic) ?? [];
      list.push(...p.messages);
      byTopic.set(p.topic, list);
    }
    this.onProduceRequest?.(records);
    const request = this.producer
      .sendBatch({
        acks: -1,
        compression: CompressionTypes.None,
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      })
      .then(
        () => batch.forEach((p) => p.resolve()),
        (err: unknown) => batch.forEach((p) => p.reject(err)),
      );
    this.inFlight.add(request);
    void request.finally(() => this.inFlight.delete(request));
  }

  /** Sends what is queued and waits for every outstanding acknowledgement. */
  async flush(): Promise<void> {
    this.flushQueue();
    await Promise.all([...this.inFlight]);
  }

  async disconnect(): Promise<void> {
    this.closed = true;
    await this.flush();
    await this.producer.disconnect();
  }
}
