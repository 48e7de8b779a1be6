import type { CleanEvent, FeatureVector, RawEvent } from '@telltale/contracts';
import { BoundedLru } from './bounded-lru';
import { isFailure, normaliseEvent, type CleaningFailure } from './event-cleaner';
import { SessionTracker } from './session-tracker';

export type EnrichmentResult =
  | { outcome: 'enriched'; clean: CleanEvent; features: FeatureVector | null }
  | { outcome: 'duplicate' }
  | { outcome: 'rejected'; failure: CleaningFailure };

export interface EnricherOptions {
  sessionTimeoutMs: number;
  dedupeCapacity: number;
  maxUsers: number;
  maxFutureMs: number;
  now?: () => number;
}

/**
 * The enricher's logic without Kafka: raw event in, clean event and feature vector (or a reason) out.
 * Stateful (dedupe memory, sessions); feed it one partition's events in offset order.
 */
export class EventEnricher {
  private readonly seen: BoundedLru<string, true>;
  private readonly sessions: SessionTracker;
  private readonly now: () => number;

  constructor(private readonly opts: EnricherOptions) {
    this.seen = new BoundedLru(opts.dedupeCapacity);
    this.sessions = new SessionTracker(opts.sessionTimeoutMs, opts.maxUsers);
    this.now = opts.now ?? Date.now;
  }

  enrich(raw: RawEvent): EnrichmentResult {
    // NOTE: keyed by messageId alone: clients reuse it when they retry, and that is what makes a retry a duplicate.
    if (this.seen.has(raw.messageId)) return { outcome: 'duplicate' };
    const normalised = normaliseEvent(raw, { maxFutureMs: this.opts.maxFutureMs });
    if (isFailure(normalised)) return { outcome: 'rejected', failure: normalised };
    this.seen.set(raw.messageId, true);

    const n = normalised;
    const snapshot = this.sessions.observe(n.userKey, n.kind, n.eventTime, { price: n.price, quantity: n.quantity });
    const enrichedAt = this.now();
    const time = new Date(n.eventTime);
    const clean: CleanEvent = {
      messageId: raw.messageId,
      type: raw.type,
      event: n.event,
      kind: n.kind,
      userKey: n.userKey,
      userId: raw.userId,
      anonymousId: raw.anonymousId,
      sessionId: snapshot.sessionId,
      eventTime: n.eventTime,
      receivedAt: raw.receivedAt,
      enrichedAt,
      hourOfDay: time.getUTCHours(),
      dayOfWeek: ((time.getUTCDay() + 6) % 7) + 1,
      pageUrl: n.pageUrl,
      pagePath: n.pagePath,
      referrer: n.referrer,
      productId: n.productId,
      category: n.category,
      price: n.price,
      quantity: n.quantity,
      revenue: n.revenue,
      searchQuery: n.searchQuery,
      properties: JSON.stringify(n.properties),
    };
    // Identify calls describe a user, not behaviour: no feature vector.
    const features: FeatureVector | null =
      n.kind === 'identify'
        ? null
        : {
            userKey: n.userKey,
            sessionId: snapshot.sessionId,
            messageId: raw.messageId,
            eventKind: n.kind,
            eventTime: n.eventTime,
            computedAt: enrichedAt,
            features: snapshot.features,
          };
    return { outcome: 'enriched', clean, features };
  }

  get trackedUsers(): number {
    return this.sessions.trackedUsers;
  }
}
