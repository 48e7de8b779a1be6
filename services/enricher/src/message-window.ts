import { hash } from 'node:crypto';

/**
 * A messageId's 64-bit fingerprint: the first 8 bytes of its SHA-256, as two unsigned 32-bit halves.
 * NOTE: a fingerprint, not the id, is what the window keeps and the changelog stores: 8 bytes instead of a ~36-char
 * string object per id. Two different ids share one with probability 2^-64 per pair; a new id is taken for a
 * duplicate with probability (ids remembered) / 2^64, about 3e-14 at 500,000 remembered (README "State design and
 * its cost"). A cryptographic hash (~1 µs) rather than a fast one, so that no crafted set of ids collides more often.
 */
export function messageFingerprint(messageId: string): { hi: number; lo: number } {
  const digest = hash('sha256', messageId, 'buffer');
  return { hi: digest.readUInt32BE(0), lo: digest.readUInt32BE(4) };
}

/** One remembered message, in arrival order. */
export interface WindowEntry {
  /** Position in the partition's arrival order of remembered messages (0, 1, 2, …; never reused). */
  seq: number;
  hi: number;
  lo: number;
  receivedAt: number;
}

const EMPTY = 0;

/**
 * The messages of one partition's de-duplication window, in arrival order: fingerprints and receive times in typed
 * arrays (a ring), found through an open-addressing hash index (linear probing). Nothing in it is a JavaScript
 * object per message, so a full window of hundreds of thousands of ids costs the garbage collector nothing to mark.
 *
 * Messages leave only from the front (the oldest), except one remembered again, whose earlier entry dies in place.
 * So the window is always "every message from seq `headSeq` on, the later of two equal fingerprints winning": what
 * the changelog stores (blocks of arrivals and the head), and what a restore rebuilds exactly.
 */
export class MessageWindow {
  /** Ring slots: capacity is a power of two; seq s lives in slot s & (capacity - 1). */
  private hi = new Uint32Array(1024);
  private lo = new Uint32Array(1024);
  private at = new Float64Array(1024);
  private live = new Uint8Array(1024);
  /** Hash index: slot + 1 of the live entry, or EMPTY. Twice the ring's capacity, so at most half full. */
  private index = new Int32Array(2048);
  private head = 0;
  private next = 0;
  private count = 0;

  /** Live messages. */
  get size(): number {
    return this.count;
  }

  /** Seq of the oldest entry still in the ring (live or not); every message before it is forgotten. */
  get headSeq(): number {
    return this.head;
  }

  /** Seq the next remembered message gets. */
  get nextSeq(): number {
    return this.next;
  }

  /** The receive time remembered for a fingerprint, or undefined. */
  receivedAt(hi: number, lo: number): number | undefined {
    const pos = this.find(hi, lo);
    return pos < 0 ? undefined : this.at[this.index[pos]! - 1];
  }

  /**
   * Remembers a message as the newest, at `seq` (by default the next one). A fingerprint already present dies at its
   * old position. A restore passes the seqs the changelog recorded; a gap (arrivals already forgotten) leaves dead slots.
   */
  add(hi: number, lo: number, receivedAt: number, seq = this.next): void {
    if (seq < this.next) throw new Error(`message window: seq ${seq} is before the next one (${this.next})`);
    if (this.count === 0) {
      // Nothing held: start at seq without dead slots in between.
      this.head = seq;
      this.next = seq;
    }
    const existing = this.find(hi, lo);
    if (existing >= 0) {
      this.live[this.index[existing]! - 1] = 0;
      this.removeAt(existing);
      this.count -= 1;
    }
    this.oldest(); // passes dead slots at the front, so that they take no room
    while (seq - this.head + 1 > this.hi.length) this.grow();
    for (; this.next < seq; this.next++) this.live[this.next & (this.hi.length - 1)] = 0;
    const slot = seq & (this.hi.length - 1);
    this.hi[slot] = hi;
    this.lo[slot] = lo;
    this.at[slot] = receivedAt;
    this.live[slot] = 1;
    this.insert(slot);
    this.next = seq + 1;
    this.count += 1;
  }

  /** The oldest live message, or undefined when empty (dead entries at the front are passed over for good). */
  oldest(): WindowEntry | undefined {
    const mask = this.hi.length - 1;
    while (this.head < this.next && this.live[this.head & mask] === 0) this.head += 1;
    if (this.head === this.next) return undefined;
    const slot = this.head & mask;
    return { seq: this.head, hi: this.hi[slot]!, lo: this.lo[slot]!, receivedAt: this.at[slot]! };
  }

  /** Forgets the oldest live message. */
  dropOldest(): void {
    const oldest = this.oldest();
    if (!oldest) return;
    const slot = oldest.seq & (this.hi.length - 1);
    this.removeAt(this.find(oldest.hi, oldest.lo));
    this.live[slot] = 0;
    this.count -= 1;
    this.head += 1;
  }

  /** Forgets every message before `seq` (a restore applying the changelog's head). */
  dropBefore(seq: number): void {
    while (this.head < Math.min(seq, this.next)) {
      if (this.live[this.head & (this.hi.length - 1)] === 1) this.dropOldest();
      else this.head += 1;
    }
    if (this.count === 0 && seq > this.next) {
      this.head = seq;
      this.next = seq;
    }
  }

  /** Bytes of the typed arrays (what the window really holds, slack included). */
  get allocatedBytes(): number {
    return this.hi.byteLength + this.lo.byteLength + this.at.byteLength + this.live.byteLength + this.index.byteLength;
  }

  private home(hi: number, lo: number): number {
    // NOTE: the fingerprint is already uniformly distributed (a SHA-256 prefix): its low bits are a good bucket.
    return (lo ^ Math.imul(hi, 0x9e3779b1)) & (this.index.length - 1);
  }

  /** Position in the index of a fingerprint's entry, or -1. */
  private find(hi: number, lo: number): number {
    const mask = this.index.length - 1;
    for (let pos = this.home(hi, lo); ; pos = (pos + 1) & mask) {
      const ref = this.index[pos]!;
      if (ref === EMPTY) return -1;
      if (this.lo[ref - 1] === lo && this.hi[ref - 1] === hi) return pos;
    }
  }

  private insert(slot: number): void {
    const mask = this.index.length - 1;
    let pos = this.home(this.hi[slot]!, this.lo[slot]!);
    while (this.index[pos] !== EMPTY) pos = (pos + 1) & mask;
    this.index[pos] = slot + 1;
  }

  /** Removes an index entry, shifting later entries of its probe run back (no tombstones: lookups stay short). */
  private removeAt(pos: number): void {
    const mask = this.index.length - 1;
    let hole = pos;
    for (let j = (pos + 1) & mask; this.index[j] !== EMPTY; j = (j + 1) & mask) {
      const ref = this.index[j]!;
      const home = this.home(this.hi[ref - 1]!, this.lo[ref - 1]!);
      // The entry at j may fill the hole when its home is not cyclically within (hole, j].
      const between = hole <= j ? home > hole && home <= j : home > hole || home <= j;
      if (!between) {
        this.index[hole] = ref;
        hole = j;
      }
    }
    this.index[hole] = EMPTY;
  }

  /** Doubles the ring (and the index), keeping every seq's data at its new slot. */
  private grow(): void {
    const oldMask = this.hi.length - 1;
    const capacity = this.hi.length * 2;
    const hi = new Uint32Array(capacity);
    const lo = new Uint32Array(capacity);
    const at = new Float64Array(capacity);
    const live = new Uint8Array(capacity);
    for (let seq = this.head; seq < this.next; seq++) {
      const from = seq & oldMask;
      const to = seq & (capacity - 1);
      hi[to] = this.hi[from]!;
      lo[to] = this.lo[from]!;
      at[to] = this.at[from]!;
      live[to] = this.live[from]!;
    }
    this.hi = hi;
    this.lo = lo;
    this.at = at;
    this.live = live;
    this.index = new Int32Array(capacity * 2);
    for (let seq = this.head; seq < this.next; seq++) if (live[seq & (capacity - 1)] === 1) this.insert(seq & (capacity - 1));
  }
}
