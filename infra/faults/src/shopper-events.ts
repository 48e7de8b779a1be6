import { Random, planSession, seedFrom, type SegmentEvent, type Visitor } from '@telltale/traffic-generator';
import { EncodedSessions, type EncodedBatch } from './encoded-events';

/** Where the load driver takes its events from, `count` at a time. */
export interface EventSource {
  next(count: number): SegmentEvent[];
  /**
   * The next `count` events as one ready request body (see encoded-events.ts). Optional: the driver uses it when a
   * source has it, and builds the JSON of `next` itself otherwise.
   */
  nextEncoded?(count: number): EncodedBatch;
}

/**
 * Events of the pre-encoded path: this many, planned once per source (about 700 sessions), then replayed by new
 * visitors. Planning them costs about 0.1 s of CPU, once per source.
 */
const ENCODED_EVENTS = 5_000;

/**
 * Realistic sessions from the traffic generator's shopper model (page views, clicks, searches, carts and, for some,
 * a purchase), handed out whole and in order, as fast as asked. Two things differ from the live generator:
 * - every messageId is `<idPrefix><sequence>`, so a run finds exactly its own rows in ClickHouse;
 * - a session's timestamps are shifted so that it ends now: the events look like they just happened, however fast
 *   they are sent, and the trainer (TRAINER_LABEL_DELAY_S=0) can label them at once.
 * Every session is a new visitor, so a burst spreads over many users (and all partitions).
 *
 * `nextEncoded` is the cheap path the load driver takes: the first ENCODED_EVENTS events' sessions are planned and
 * encoded once, then replayed round after round, each round by new visitors (the replay number is in the last 8 hex
 * digits of the anonymousId). Both paths draw messageIds from the same sequence, so they never repeat one.
 */
export class ShopperEvents implements EventSource {
  private readonly rng: Random;
  private readonly pending: SegmentEvent[] = [];
  private sequence = 0;
  private encoded: EncodedSessions | undefined;
  /** Sessions planned (by `next`, and once for the encoded path's set). */
  sessions = 0;
  purchases = 0;

  constructor(
    readonly idPrefix: string,
    seed: string = idPrefix,
  ) {
    this.rng = new Random(seedFrom(seed));
  }

  next(count: number): SegmentEvent[] {
    while (this.pending.length < count) this.pending.push(...this.plan());
    return this.pending.splice(0, count);
  }

  nextEncoded(count: number): EncodedBatch {
    if (!this.encoded) {
      const sessions: SegmentEvent[][] = [];
      for (let events = 0; events < ENCODED_EVENTS; ) {
        const session = this.plan();
        sessions.push(session);
        events += session.length;
      }
      this.encoded = new EncodedSessions(sessions, this.idPrefix);
    }
    const batch = this.encoded.take(count, this.sequence + 1);
    this.sequence += count;
    return batch;
  }

  private plan(): SegmentEvent[] {
    const visitor: Visitor = { anonymousId: this.rng.uuid(), userId: null, userAgent: 'telltale-faults/0.1', device: null, priorSessions: 0, priorPurchases: 0 };
    const plan = planSession(this.rng, visitor, 0);
    const lastAtMs = plan.events[plan.events.length - 1]?.atMs ?? 0;
    const shiftMs = Date.now() - lastAtMs;
    this.sessions += 1;
    if (plan.purchased) this.purchases += 1;
    return plan.events.map(({ atMs, event }) => ({ ...event, messageId: `${this.idPrefix}${++this.sequence}`, timestamp: new Date(atMs + shiftMs).toISOString() }));
  }
}
