import type { EnricherStateEntry, VisitorState } from '@telltale/contracts';
import { ArrivalOrder } from './arrival-order';

export interface PartitionStateLimits {
  /** How long a messageId is remembered, by collector receive time. */
  dedupeWindowMs: number;
  /** Most messageIds remembered; the oldest are forgotten first (the window shrinks under a higher rate). */
  dedupeCapacity: number;
  /** Most visitors kept; the least recently active are forgotten first. */
  maxVisitors: number;
  /**
   * Most bytes of heap the state may take, by the estimate below (`estimatedBytes`); beyond it the oldest entry,
   * messageId or visitor, is forgotten first. @default unbounded (the counts above bound it)
   */
  maxBytes?: number;
}

/**
 * Heap per entry, measured (state-cost.measure.ts, README "State design and its cost"): a visitor ~445 B plus ~77 B
 * per kept event, a remembered messageId ~134 B, both with UUID-sized keys (longer keys count their extra UTF-16).
 */
export const STATE_BYTES = { visitor: 445, keptEvent: 77, message: 134, keyChars: 36 } as const;

export function visitorBytes(key: string, visitor: VisitorState): number {
  return STATE_BYTES.visitor + (visitor.recentEvents?.length ?? 0) * STATE_BYTES.keptEvent + 2 * Math.max(0, key.length - STATE_BYTES.keyChars);
}

export function messageBytes(messageId: string): number {
  return STATE_BYTES.message + 2 * Math.max(0, messageId.length - STATE_BYTES.keyChars);
}

/** One change to the changelog: a key and its new value, or null to forget the key (a tombstone). */
export interface StateChange {
  key: string;
  value: EnricherStateEntry | null;
}

const VISITOR_PREFIX = 'v:';
const MESSAGE_PREFIX = 'm:';

/**
 * The enricher's state for one partition of events.raw: visitors (session, identity link) and the messageIds of the
 * de-duplication window. Every change is also recorded as a changelog change (`takeChanges`), so that the
 * changelog partition replayed in order (`restore`) rebuilds exactly this state.
 *
 * NOTE: bounds are per partition, not per process, so what is forgotten (and so every output) does not depend on
 * how many partitions an instance holds. Forgetting is decided event by event, never at a batch boundary, so the
 * outputs do not depend on how the consumer cut its fetches into batches either.
 */
export class PartitionState {
  private readonly visitors = new Map<string, VisitorState>();
  /** The visitors in order of last activity, least recent first (not the Map's own order: see ArrivalOrder). */
  private readonly visitorOrder = new ArrivalOrder<VisitorState>((key) => this.visitors.get(key), () => this.visitors.size);
  /** messageId → receivedAt. */
  private readonly seen = new Map<string, number>();
  /** The messageIds in the order they were remembered, oldest first. */
  private readonly seenOrder = new ArrivalOrder<number>((key) => this.seen.get(key), () => this.seen.size);
  /** The newest receivedAt remembered: the de-duplication window's clock (stream time, not wall time). */
  private streamTime = Number.NEGATIVE_INFINITY;
  /** Changes since the last takeChanges, the last change of a key last. */
  private changes = new Map<string, EnricherStateEntry | null>();
  /** Counters since the last takeEvictions. */
  private evictions = { visitors: 0, messages: 0 };
  /** The state's heap by the STATE_BYTES estimate, kept up to date entry by entry. */
  private bytes = 0;

  constructor(private readonly limits: PartitionStateLimits) {}

  /** Whether `messageId` was seen within the window before `receivedAt`'s stream time. */
  isDuplicate(messageId: string): boolean {
    const seenAt = this.seen.get(messageId);
    return seenAt !== undefined && seenAt >= this.streamTime - this.limits.dedupeWindowMs;
  }

  /** Remembers a message, then forgets messages older than the window and beyond the capacity. */
  rememberMessage(messageId: string, receivedAt: number): void {
    if (!this.seen.delete(messageId)) this.bytes += messageBytes(messageId);
    this.seen.set(messageId, receivedAt);
    this.seenOrder.added(messageId, receivedAt);
    this.record(MESSAGE_PREFIX + messageId, { visitor: null, seenReceivedAt: receivedAt });
    this.streamTime = Math.max(this.streamTime, receivedAt);
    const oldest = this.streamTime - this.limits.dedupeWindowMs;
    // NOTE: receive times are nearly in order (one partition, few collectors), so expiring from the front is close to
    // exact; an entry behind a newer one lives a little longer, and isDuplicate checks the age anyway.
    for (let next = this.seenOrder.oldest(); next; next = this.seenOrder.oldest()) {
      const [id, at] = next;
      const overCapacity = this.seen.size > this.limits.dedupeCapacity;
      if (at >= oldest && !overCapacity) break;
      this.forgetMessage(id);
      if (overCapacity && at >= oldest) this.evictions.messages += 1;
    }
    this.keepWithinBytes();
  }

  /** Reads a visitor without marking it active. */
  visitor(key: string): VisitorState | undefined {
    return this.visitors.get(key);
  }

  /** Stores a visitor as the most recently active one, forgetting the least recent beyond the limit. */
  putVisitor(key: string, visitor: VisitorState): void {
    const previous = this.visitors.get(key);
    if (previous) this.bytes -= visitorBytes(key, previous);
    this.visitors.set(key, visitor);
    this.visitorOrder.added(key, visitor);
    this.bytes += visitorBytes(key, visitor);
    this.record(VISITOR_PREFIX + key, { visitor, seenReceivedAt: null });
    while (this.visitors.size > this.limits.maxVisitors) {
      this.forgetVisitor(this.visitorOrder.oldest()![0]);
      this.evictions.visitors += 1;
    }
    this.keepWithinBytes();
  }

  /**
   * Forgets the oldest entries while the state is over `maxBytes`: the oldest remembered messageId or the least
   * recently active visitor, whichever is older (receive time against the visitor's latest event time).
   * NOTE: decided event by event from the events alone, like every other bound, so a replay forgets the same.
   */
  private keepWithinBytes(): void {
    const max = this.limits.maxBytes;
    if (max === undefined) return;
    while (this.bytes > max) {
      const message = this.seenOrder.oldest();
      const visitor = this.visitorOrder.oldest();
      if (message && (!visitor || message[1] <= visitor[1].lastEventTime)) {
        this.forgetMessage(message[0]);
        this.evictions.messages += 1;
      } else if (visitor) {
        this.forgetVisitor(visitor[0]);
        this.evictions.visitors += 1;
      } else {
        return;
      }
    }
  }

  private forgetMessage(messageId: string): void {
    if (this.seen.delete(messageId)) this.bytes -= messageBytes(messageId);
    this.record(MESSAGE_PREFIX + messageId, null);
  }

  private forgetVisitor(key: string): void {
    const visitor = this.visitors.get(key);
    if (visitor) this.bytes -= visitorBytes(key, visitor);
    this.visitors.delete(key);
    this.record(VISITOR_PREFIX + key, null);
  }

  /**
   * The changes since the last call, in order (a key's last change last, which keeps the visitors' activity order on
   * replay), with visitor values copied as they are now.
   */
  takeChanges(): StateChange[] {
    const out = [...this.changes].map(([key, value]) => ({ key, value: value && { ...value, visitor: value.visitor && { ...value.visitor } } }));
    this.changes = new Map();
    return out;
  }

  takeEvictions(): { visitors: number; messages: number } {
    const out = this.evictions;
    this.evictions = { visitors: 0, messages: 0 };
    return out;
  }

  /** Applies one changelog record (restore); records must come in changelog order. */
  restore(key: string, value: EnricherStateEntry | null): void {
    if (key.startsWith(VISITOR_PREFIX)) {
      const visitorKey = key.slice(VISITOR_PREFIX.length);
      const previous = this.visitors.get(visitorKey);
      if (previous) this.bytes -= visitorBytes(visitorKey, previous);
      this.visitors.delete(visitorKey);
      if (value?.visitor) {
        this.visitors.set(visitorKey, value.visitor);
        this.visitorOrder.added(visitorKey, value.visitor);
        this.bytes += visitorBytes(visitorKey, value.visitor);
      }
    } else if (key.startsWith(MESSAGE_PREFIX)) {
      const messageId = key.slice(MESSAGE_PREFIX.length);
      if (this.seen.delete(messageId)) this.bytes -= messageBytes(messageId);
      if (value?.seenReceivedAt != null) {
        this.seen.set(messageId, value.seenReceivedAt);
        this.seenOrder.added(messageId, value.seenReceivedAt);
        this.bytes += messageBytes(messageId);
        this.streamTime = Math.max(this.streamTime, value.seenReceivedAt);
      }
    } else {
      throw new Error(`unknown changelog key ${JSON.stringify(key.slice(0, 40))}`);
    }
  }

  get visitorCount(): number {
    return this.visitors.size;
  }

  get messageCount(): number {
    return this.seen.size;
  }

  /** The state's heap by the STATE_BYTES estimate. */
  get estimatedBytes(): number {
    return this.bytes;
  }

  private record(key: string, value: EnricherStateEntry | null): void {
    this.changes.delete(key);
    this.changes.set(key, value);
  }
}
