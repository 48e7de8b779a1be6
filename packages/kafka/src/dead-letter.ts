import type { DeadLetter, Topics } from '@telltale/contracts';
import type { AvroProducer } from './avro-producer';
import type { ConsumedRecord } from './batch-consumer';

export interface Rejection {
  reason: string;
  field?: string | null;
  payload: Buffer;
  key?: string | null;
  source?: { topic: string; partition: number; offset: string };
}

/** A consumed record that cannot be processed: its original bytes, key and position, with why. */
export function rejectionOf(record: ConsumedRecord<unknown>, why: { reason: string; field?: string | null }): Rejection {
  return { ...why, payload: record.raw, key: record.key, source: record };
}

/** Routes records a stage cannot process to the dead-letter topic, with why and from where. */
export class DeadLetterPublisher {
  constructor(
    private readonly producer: AvroProducer,
    private readonly topics: Topics,
    private readonly stage: string,
  ) {}

  toRecord(r: Rejection): DeadLetter {
    return {
      stage: this.stage,
      reason: r.reason,
      field: r.field ?? null,
      sourceTopic: r.source?.topic ?? null,
      sourcePartition: r.source?.partition ?? null,
      sourceOffset: r.source ? Number(r.source.offset) : null,
      key: r.key ?? null,
      payload: r.payload,
      failedAt: Date.now(),
    };
  }

  publish(rejections: Rejection[]): Promise<void> {
    return this.producer.send(
      this.topics.deadLetters,
      rejections.map((r) => ({
        key: r.key ?? null,
        value: this.toRecord(r),
        // Headers let ops filter the DLQ without decoding values.
        headers: { stage: this.stage, reason: r.reason.slice(0, 200), ...(r.source ? { original_topic: r.source.topic } : {}) },
      })),
    );
  }
}
