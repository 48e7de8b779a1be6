import type { DeadLetter, Topics } from '@telltale/contracts';
import type { Counter, Registry } from '@telltale/runtime';
import type { AvroProducer, EncodedRecord } from './avro-producer';
import type { ConsumedRecord } from './batch-consumer';
import { deadLetterCounter, reasonLabel } from './consumer-metrics';
import { recordBytes } from './produce-request-plan';

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

/** Longest reason and key kept when even an empty payload leaves no room (a pathological reason or key). */
const MAX_REASON_CHARS = 1000;
const MAX_KEY_CHARS = 256;
/** Distinct reason labels one publisher makes, so a reason with unforeseen variety cannot explode the series. */
const MAX_REASON_LABELS = 50;
/** Avro writes a bytes field's length as a varint: 1 byte for an empty payload, at most 5. */
const PAYLOAD_LENGTH_GROWTH = 4;

/**
 * Routes records a stage cannot process to the dead-letter topic, with why and from where. A dead letter never
 * exceeds the produce limit itself: an original payload too large to carry whole (often the very reason it is
 * here) is cut to fit, and the record says so in its reason and in a `payload_truncated` header (original size).
 */
export class DeadLetterPublisher {
  private readonly counted: Counter<'stage' | 'source_topic' | 'reason'> | undefined;
  /** Reason labels this publisher has made; past MAX_REASON_LABELS, new ones count as 'other'. */
  private readonly reasonLabels = new Set<string>();

  constructor(
    private readonly producer: AvroProducer,
    private readonly topics: Topics,
    private readonly stage: string,
    /** Where dead letters are counted, by stage, source topic and reason class (telltale_dead_letters_total). */
    registry?: Registry,
  ) {
    this.counted = registry ? deadLetterCounter(registry) : undefined;
  }

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

  async publish(rejections: Rejection[]): Promise<void> {
    await this.producer.sendEncoded(
      this.topics.deadLetters.name,
      rejections.map((r) => this.encodeToFit(r)),
    );
    this.countWritten(rejections);
  }

  /** Counts dead letters written by the caller itself (`encodeToFit` in its own transaction), once committed. */
  countWritten(rejections: Rejection[]): void {
    for (const r of rejections) this.counted?.inc({ stage: this.stage, source_topic: r.source?.topic ?? 'none', reason: this.reasonLabelOf(r.reason) });
  }

  private reasonLabelOf(reason: string): string {
    const label = reasonLabel(reason);
    if (this.reasonLabels.has(label)) return label;
    if (this.reasonLabels.size >= MAX_REASON_LABELS) return 'other';
    this.reasonLabels.add(label);
    return label;
  }

  /** The dead letter of `r`, encoded and cut to fit the topic: for callers that write it in their own transaction. */
  encodeToFit(r: Rejection): EncodedRecord {
    const record = this.toRecord(r);
    const whole = this.encode(record, headersOf(this.stage, record));
    if (whole.bytes <= this.producer.maxRecordBytes(this.topics.deadLetters.name)) return whole.message;

    const originalBytes = r.payload.length;
    const noted = (letter: DeadLetter): DeadLetter => ({ ...letter, reason: `${letter.reason} (payload truncated from ${originalBytes} bytes to fit the topic's limit)` });
    const fitted = this.withPayloadThatFits(noted(record), originalBytes) ?? this.withPayloadThatFits(noted(shortened(record)), originalBytes);
    if (!fitted) throw new Error(`dead letter from ${this.stage} cannot fit ${this.producer.maxRecordBytes(this.topics.deadLetters.name)} bytes even without its payload`);
    return fitted;
  }

  /** The record with as much of its payload as fits, or undefined when not even an empty payload does. */
  private withPayloadThatFits(record: DeadLetter, originalBytes: number): EncodedRecord | undefined {
    const headers = { ...headersOf(this.stage, record), payload_truncated: String(originalBytes) };
    const empty = this.encode({ ...record, payload: Buffer.alloc(0) }, headers);
    const room = this.producer.maxRecordBytes(this.topics.deadLetters.name) - empty.bytes - PAYLOAD_LENGTH_GROWTH;
    if (room < 0) return undefined;
    return this.encode({ ...record, payload: record.payload.subarray(0, Math.min(room, originalBytes)) }, headers).message;
  }

  private encode(record: DeadLetter, headers: Record<string, string>): { message: EncodedRecord; bytes: number } {
    const value = this.topics.deadLetters.codec.encode(record);
    return { message: { key: record.key, value, headers }, bytes: recordBytes(record.key, value, headers) };
  }
}

// Headers let ops filter the DLQ without decoding values.
function headersOf(stage: string, record: DeadLetter): Record<string, string> {
  return { stage, reason: record.reason.slice(0, 200), ...(record.sourceTopic !== null ? { original_topic: record.sourceTopic } : {}) };
}

function shortened(record: DeadLetter): DeadLetter {
  return {
    ...record,
    reason: record.reason.slice(0, MAX_REASON_CHARS),
    key: record.key === null ? null : record.key.slice(0, MAX_KEY_CHARS),
    field: record.field === null ? null : record.field.slice(0, MAX_KEY_CHARS),
  };
}
