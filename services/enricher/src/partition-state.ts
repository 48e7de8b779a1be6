import type { EnricherStateEntry, VisitorState } from '@telltale/contracts';
import { ArrivalOrder } from './arrival-order';
import { MessageWindow, messageFingerprint } from './message-window';

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
 * per kept event with a UUID-sized key (longer keys count their extra UTF-16); a remembered message at most 50 B
 * whatever its id's length (MessageWindow's typed arrays: 25 B per slot, up to twice the slots of live messages
 * as the ring doubles).
 */
export const STATE_BYTES = { visitor: 445, keptEvent: 77, message: 50, keyChars: 36 } as const;

export function visitorBytes(key: string, visitor: VisitorState): number {
  return STATE_BYTES.visitor + (visitor.recentEvents?.length ?? 0) * STATE_BYTES.keptEvent + 2 * Math.max(0, key.length - STATE_BYTES.keyChars);
}

/** One change to the changelog: a key and its new value, or null to forget the key (a tombstone). */
export interface StateChange {
  key: string;
  value: EnricherStateEntry | null;
}

const VISITOR_PREFIX = 'v:';
const BLOCK_PREFIX = 'mb:';
const WINDOW_HEAD_KEY = 'mw';
/** Written by versions before message blocks: one key per remembered messageId. */
const LEGACY_MESSAGE_PREFIX = 'm:';
/** Most messages per block record: 8 + ~2 bytes each, so a block stays far below a topic's record size limit. */
export const MAX_BLOCK_MESSAGES = 4096;

/**
 * The enricher's state for one partition of events.raw: visitors (session, identity link) and the messageIds of the
 * de-duplication window. Every change is also recorded as a changelog change (`takeChanges`), so that the
 * changelog partition replayed in order (`restore`) rebuilds exactly this state.
 *
 * NOTE: the window is written as blocks of arrivals (one record per `takeChanges`, not one per message) and its head
 * (one record, the latest kept by compaction); a block is tombstoned once the head has passed all of it. Messages
 * only ever leave the window from the front, so "every arrival from the head on" is the window exactly.
 *
 * NOTE: bounds are per partition, not per process, so what is forgotten (and so every output) does not depend on
 * how many partitions an instance holds. Forgetting is decided event by event, never at a batch boundary, so the
 * outputs do not depend on how the consumer cut its fetches into batches either.
 */
export class PartitionState {
  private readonly visitors = new Map<string, VisitorState>();
  /** The visitors in order of last activity, least recent first (not the Map's own order: see ArrivalOrder). */
  private readonly visitorOrder = new ArrivalOrder<VisitorState>((key) => this.visitors.get(key), () => this.visitors.size);
  private readonly window = new MessageWindow();
  /** The newest receivedAt remembered: the de-duplication window's clock (stream time, not wall time). */
  private streamTime = Number.NEGATIVE_INFINITY;
  /** Messages remembered since the last takeChanges (seqs from pendingFrom on): the next block records. */
  private pending = { from: 0, hi: [] as number[], lo: [] as number[], receivedAt: [] as number[] };
  /** Block records on the changelog not yet tombstoned: first seq and end (exclusive), oldest first. */
  private readonly blocks: Array<{ first: number; end: number }> = [];
  private blocksHead = 0;
  /** The window head and clock as last written (or restored): `mw` is written again only when they moved. */
  private written = { headSeq: 0, streamTime: Number.NEGATIVE_INFINITY };
  /** `m:` keys of an older changelog met by restore: converted to blocks (and tombstoned) before first use. */
  private legacy: Map<string, number> | undefined;
  /** Visitor changes since the last takeChanges, the last change of a key last. */
  private changes = new Map<string, EnricherStateEntry | null>();
  /** Counters since the last takeEvictions. */
  private evictions = { visitors: 0, messages: 0 };
  /** The visitors' heap by the STATE_BYTES estimate, kept up to date entry by entry. */
  private visitorBytes = 0;
  /** The last fingerprint computed: isDuplicate and rememberMessage ask for the same id one after the other. */
  private lastFingerprint = { id: '', hi: 0, lo: 0 };

  constructor(private readonly limits: PartitionStateLimits) {}

  /** Whether `messageId` was seen within the window before `receivedAt`'s stream time. */
  isDuplicate(messageId: string): boolean {
    this.settle();
    const fp = this.fingerprint(messageId);
    const seenAt = this.window.receivedAt(fp.hi, fp.lo);
    return seenAt !== undefined && seenAt >= this.streamTime - this.limits.dedupeWindowMs;
  }

  /** Remembers a message, then forgets messages older than the window and beyond the capacity. */
  rememberMessage(messageId: string, receivedAt: number): void {
    this.settle();
    const fp = this.fingerprint(messageId);
    this.remember(fp.hi, fp.lo, receivedAt);
    this.keepWithinBytes();
  }

  private remember(hi: number, lo: number, receivedAt: number): void {
    if (this.pending.hi.length === 0) this.pending.from = this.window.nextSeq;
    this.window.add(hi, lo, receivedAt);
    this.pending.hi.push(hi);
    this.pending.lo.push(lo);
    this.pending.receivedAt.push(receivedAt);
    this.streamTime = Math.max(this.streamTime, receivedAt);
    const oldest = this.streamTime - this.limits.dedupeWindowMs;
    // NOTE: receive times are nearly in order (one partition, few collectors), so expiring from the front is close to
    // exact; an entry behind a newer one lives a little longer, and isDuplicate checks the age anyway.
    for (let next = this.window.oldest(); next; next = this.window.oldest()) {
      const overCapacity = this.window.size > this.limits.dedupeCapacity;
      if (next.receivedAt >= oldest && !overCapacity) break;
      this.window.dropOldest();
      if (overCapacity && next.receivedAt >= oldest) this.evictions.messages += 1;
    }
  }

  private fingerprint(messageId: string): { hi: number; lo: number } {
    if (this.lastFingerprint.id !== messageId) this.lastFingerprint = { id: messageId, ...messageFingerprint(messageId) };
    return this.lastFingerprint;
  }

  /** Reads a visitor without marking it active. */
  visitor(key: string): VisitorState | undefined {
    return this.visitors.get(key);
  }

  /** Stores a visitor as the most recently active one, forgetting the least recent beyond the limit. */
  putVisitor(key: string, visitor: VisitorState): void {
    this.settle();
    const previous = this.visitors.get(key);
    if (previous) this.visitorBytes -= visitorBytes(key, previous);
    this.visitors.set(key, visitor);
    this.visitorOrder.added(key, visitor);
    this.visitorBytes += visitorBytes(key, visitor);
    this.record(VISITOR_PREFIX + key, { visitor, seenReceivedAt: null, messages: null, window: null });
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
    while (this.estimatedBytes > max) {
      const message = this.window.oldest();
      const visitor = this.visitorOrder.oldest();
      if (message && (!visitor || message.receivedAt <= visitor[1].lastEventTime)) {
        this.window.dropOldest();
        this.evictions.messages += 1;
      } else if (visitor) {
        this.forgetVisitor(visitor[0]);
        this.evictions.visitors += 1;
      } else {
        return;
      }
    }
  }

  private forgetVisitor(key: string): void {
    const visitor = this.visitors.get(key);
    if (visitor) this.visitorBytes -= visitorBytes(key, visitor);
    this.visitors.delete(key);
    this.record(VISITOR_PREFIX + key, null);
  }

  /**
   * The changes since the last call, in order (a key's last change last, which keeps the visitors' activity order on
   * replay), with visitor values copied as they are now.
   */
  takeChanges(): StateChange[] {
    this.settle();
    const out: StateChange[] = [...this.changes].map(([key, value]) => ({ key, value: value && { ...value, visitor: value.visitor && { ...value.visitor } } }));
    this.changes = new Map();
    out.push(...this.takeWindowChanges());
    return out;
  }

  /** The window's changes: blocks of the messages remembered since the last call, its head, blocks it passed. */
  private takeWindowChanges(): StateChange[] {
    const out: StateChange[] = [];
    const { from, hi, lo, receivedAt } = this.pending;
    for (let start = 0; start < hi.length; start += MAX_BLOCK_MESSAGES) {
      const end = Math.min(hi.length, start + MAX_BLOCK_MESSAGES);
      const fingerprints = Buffer.allocUnsafe((end - start) * 8);
      const deltas: number[] = [];
      for (let i = start; i < end; i++) {
        fingerprints.writeUInt32BE(hi[i]!, (i - start) * 8);
        fingerprints.writeUInt32BE(lo[i]!, (i - start) * 8 + 4);
        deltas.push(i === start ? receivedAt[i]! : receivedAt[i]! - receivedAt[i - 1]!);
      }
      const first = from + start;
      this.blocks.push({ first, end: from + end });
      out.push({ key: BLOCK_PREFIX + first, value: { visitor: null, seenReceivedAt: null, messages: { firstSeq: first, fingerprints, receivedAtDeltas: deltas }, window: null } });
    }
    this.pending = { from: this.window.nextSeq, hi: [], lo: [], receivedAt: [] };
    const headSeq = this.window.oldest()?.seq ?? this.window.nextSeq;
    if (headSeq !== this.written.headSeq || this.streamTime !== this.written.streamTime) {
      this.written = { headSeq, streamTime: this.streamTime };
      const streamTime = Number.isFinite(this.streamTime) ? this.streamTime : null;
      out.push({ key: WINDOW_HEAD_KEY, value: { visitor: null, seenReceivedAt: null, messages: null, window: { headSeq, streamTime } } });
    }
    // Blocks wholly before the head hold nothing remembered any more: compaction may drop them.
    while (this.blocksHead < this.blocks.length && this.blocks[this.blocksHead]!.end <= headSeq) {
      out.push({ key: BLOCK_PREFIX + this.blocks[this.blocksHead]!.first, value: null });
      this.blocksHead += 1;
    }
    if (this.blocksHead > 1024 && this.blocksHead * 2 > this.blocks.length) {
      this.blocks.splice(0, this.blocksHead);
      this.blocksHead = 0;
    }
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
      if (previous) this.visitorBytes -= visitorBytes(visitorKey, previous);
      this.visitors.delete(visitorKey);
      if (value?.visitor) {
        this.visitors.set(visitorKey, value.visitor);
        this.visitorOrder.added(visitorKey, value.visitor);
        this.visitorBytes += visitorBytes(visitorKey, value.visitor);
      }
    } else if (key.startsWith(BLOCK_PREFIX)) {
      const block = value?.messages;
      if (!block) {
        // A tombstoned block was wholly before the head: nothing of it is in the window any more. Tombstones come in
        // block order, so the blocks still to tombstone are those after it.
        const first = Number(key.slice(BLOCK_PREFIX.length));
        while (this.blocksHead < this.blocks.length && this.blocks[this.blocksHead]!.first <= first) this.blocksHead += 1;
        return;
      }
      const { firstSeq, fingerprints, receivedAtDeltas } = block;
      const end = firstSeq + receivedAtDeltas.length;
      if (fingerprints.length !== receivedAtDeltas.length * 8) throw new Error(`changelog block ${key}: ${fingerprints.length} fingerprint bytes for ${receivedAtDeltas.length} messages`);
      this.blocks.push({ first: firstSeq, end });
      let receivedAt = 0;
      for (let i = 0; i < receivedAtDeltas.length; i++) {
        receivedAt = i === 0 ? receivedAtDeltas[0]! : receivedAt + receivedAtDeltas[i]!;
        const seq = firstSeq + i;
        if (seq < this.written.headSeq || seq < this.window.nextSeq) continue;
        this.window.add(fingerprints.readUInt32BE(i * 8), fingerprints.readUInt32BE(i * 8 + 4), receivedAt, seq);
        this.streamTime = Math.max(this.streamTime, receivedAt);
      }
      this.pending.from = this.window.nextSeq;
    } else if (key === WINDOW_HEAD_KEY) {
      if (!value?.window) return;
      this.written = { headSeq: Math.max(this.written.headSeq, value.window.headSeq), streamTime: value.window.streamTime ?? this.streamTime };
      this.window.dropBefore(this.written.headSeq);
      if (value.window.streamTime !== null) this.streamTime = Math.max(this.streamTime, value.window.streamTime);
      this.pending.from = this.window.nextSeq;
    } else if (key.startsWith(LEGACY_MESSAGE_PREFIX)) {
      const legacy = (this.legacy ??= new Map());
      const messageId = key.slice(LEGACY_MESSAGE_PREFIX.length);
      legacy.delete(messageId);
      if (value?.seenReceivedAt != null) legacy.set(messageId, value.seenReceivedAt);
    } else {
      throw new Error(`unknown changelog key ${JSON.stringify(key.slice(0, 40))}`);
    }
  }

  /**
   * Converts what a restore met of an older changelog (one `m:` key per message) into the window, before the state
   * is first used: the messages are remembered again in their changelog order, and the next takeChanges writes them as
   * blocks and tombstones every `m:` key, in the same transaction (a failed one converts again on its retry).
   */
  private settle(): void {
    const legacy = this.legacy;
    if (!legacy) return;
    this.legacy = undefined;
    for (const [messageId, receivedAt] of legacy) {
      const fp = messageFingerprint(messageId);
      this.remember(fp.hi, fp.lo, receivedAt);
      this.changes.set(LEGACY_MESSAGE_PREFIX + messageId, null);
    }
    this.keepWithinBytes();
  }

  get visitorCount(): number {
    return this.visitors.size;
  }

  get messageCount(): number {
    this.settle();
    return this.window.size;
  }

  /** The state's heap by the STATE_BYTES estimate. */
  get estimatedBytes(): number {
    return this.visitorBytes + this.window.size * STATE_BYTES.message;
  }

  private record(key: string, value: EnricherStateEntry | null): void {
    this.changes.delete(key);
    this.changes.set(key, value);
  }
}
