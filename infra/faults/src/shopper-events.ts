import { Random, planSession, seedFrom, type SegmentEvent, type Visitor } from '@telltale/traffic-generator';

/** Where the load driver takes its events from, `count` at a time. */
export interface EventSource {
  next(count: number): SegmentEvent[];
}

/**
 * Realistic sessions from the traffic generator's shopper model (page views, clicks, searches, carts and, for some,
 * a purchase), handed out whole and in order, as fast as asked. Two things differ from the live generator:
 * - every messageId is `<idPrefix><sequence>`, so a run finds exactly its own rows in ClickHouse;
 * - a session's timestamps are shifted so that it ends now: the events look like they just happened, however fast
 *   they are sent, and the trainer (TRAINER_LABEL_DELAY_S=0) can label them at once.
 * Every session is a new visitor, so a burst spreads over many users (and all partitions).
 */
export class ShopperEvents implements EventSource {
  private readonly rng: Random;
  private readonly pending: SegmentEvent[] = [];
  private sequence = 0;
  sessions = 0;
  purchases = 0;

  constructor(
    readonly idPrefix: string,
    seed: string = idPrefix,
  ) {
    this.rng = new Random(seedFrom(seed));
  }

  next(count: number): SegmentEvent[] {
    while (this.pending.length < count) this.plan();
    return this.pending.splice(0, count);
  }

  private plan(): void {
    const visitor: Visitor = { anonymousId: this.rng.uuid(), userId: null, userAgent: 'telltale-faults/0.1', device: null, priorSessions: 0, priorPurchases: 0 };
    const plan = planSession(this.rng, visitor, 0);
    const lastAtMs = plan.events[plan.events.length - 1]?.atMs ?? 0;
    const shiftMs = Date.now() - lastAtMs;
    this.sessions += 1;
    if (plan.purchased) this.purchases += 1;
    for (const { atMs, event } of plan.events) {
      this.sequence += 1;
      this.pending.push({ ...event, messageId: `${this.idPrefix}${this.sequence}`, timestamp: new Date(atMs + shiftMs).toISOString() });
    }
  }
}
