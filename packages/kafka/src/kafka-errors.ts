/**
 * Kafka failures as our own types, with a `retriable` flag that `withRetry`/`isRetriable` and the batch consumer
 * act on. kafkajs wraps the broker's error in layers (NumberOfRetriesExceeded → NonRetriable → ProtocolError);
 * what matters is the innermost cause.
 */

/** Broker error codes whose retry can never succeed with the same request. */
const NON_RETRIABLE_CODES = new Map<number, string>([
  [10, 'MESSAGE_TOO_LARGE'],
  [18, 'RECORD_LIST_TOO_LARGE'],
  [2, 'CORRUPT_MESSAGE'],
  [87, 'INVALID_RECORD'],
  [29, 'TOPIC_AUTHORIZATION_FAILED'],
  [30, 'GROUP_AUTHORIZATION_FAILED'],
  [31, 'CLUSTER_AUTHORIZATION_FAILED'],
]);

const MESSAGE_TOO_LARGE = 10;

interface ErrorLike {
  message?: unknown;
  name?: unknown;
  code?: unknown;
  type?: unknown;
  retriable?: unknown;
  cause?: unknown;
}

/** The innermost cause of a (kafkajs) error chain. */
export function rootCause(err: unknown): unknown {
  let current = err;
  for (let depth = 0; depth < 10; depth++) {
    const cause = typeof current === 'object' && current !== null ? (current as ErrorLike).cause : undefined;
    if (cause === undefined || cause === null || cause === current) return current;
    current = cause;
  }
  return current;
}

/** The broker error code somewhere in the chain (kafkajs ProtocolError carries `code`), if any. */
export function brokerErrorCode(err: unknown): number | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 10 && typeof current === 'object' && current !== null; depth++) {
    const { code, cause } = current as ErrorLike;
    if (typeof code === 'number') return code;
    current = cause;
  }
  return undefined;
}

/** True when the broker refused a request because a record batch exceeds `max.message.bytes`. */
export function isMessageTooLarge(err: unknown): boolean {
  return brokerErrorCode(err) === MESSAGE_TOO_LARGE;
}

/**
 * Whether trying again may succeed: the codes above never do; otherwise kafkajs's own judgement of the innermost
 * cause (the same one it uses to decide whether a crashed consumer restarts).
 */
export function isRetriableKafkaError(err: unknown): boolean {
  const code = brokerErrorCode(err);
  if (code !== undefined && NON_RETRIABLE_CODES.has(code)) return false;
  const cause = rootCause(err) as ErrorLike;
  return typeof cause === 'object' && cause !== null && cause.retriable === true;
}

/** A produce request the broker did not acknowledge. */
export class KafkaProduceError extends Error {
  override readonly name = 'KafkaProduceError';
  readonly retriable: boolean;
  /** The broker's error code, when it answered with one (10 = MESSAGE_TOO_LARGE). */
  readonly code: number | undefined;

  constructor(topics: string[], cause: unknown) {
    const root = rootCause(cause) as ErrorLike;
    const detail = typeof root?.message === 'string' ? root.message : String(root);
    super(`produce to ${topics.join(', ')} failed: ${detail}`, { cause });
    this.retriable = isRetriableKafkaError(cause);
    this.code = brokerErrorCode(cause);
  }
}

/** One record that can never be produced: alone it exceeds the byte budget of a produce request. */
export interface OversizeRecord {
  /** Position in the list passed to `send`/`sendFitting`. */
  index: number;
  topic: string;
  /** Estimated size of the record in a record batch (key, value, headers, framing). */
  bytes: number;
  /** Largest record size that fits. */
  limit: number;
  /** For dead letters and answers: "record of N bytes exceeds the M-byte limit of topic X". */
  reason: string;
}

export function oversizeReason(bytes: number, limit: number, topic: string): string {
  return `record of ${bytes} bytes exceeds the ${limit}-byte limit of topic ${topic}`;
}

/** `send` refused a call because some of its records can never fit; nothing of the call was sent. */
export class RecordTooLargeError extends Error {
  override readonly name = 'RecordTooLargeError';
  readonly retriable = false;

  constructor(readonly records: OversizeRecord[]) {
    super(
      records.length === 1
        ? records[0]!.reason
        : `${records.length} records exceed the produce limit, the first: ${records[0]?.reason ?? ''}`,
    );
  }
}
