import type { CleanEvent, FeatureVector, RawEvent } from '@telltale/contracts';
import { BoundedLru } from './bounded-lru';
import { isFailure, normaliseEvent, type CleaningFailure } from './event-cleaner';
import { SessionTracker, type SessionStage } from './session-tracker';

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

/** One batch enriched against the state as it was; the state moves only on `commit()`. */
export interface StagedBatch {
  /** One result per raw event, in order. */
  results: EnrichmentResult[];
  /**
   * Applies the batch to the de-duplication memory and the sessions. Call it once the batch's outputs are
   * acknowledged; a batch never committed leaves no trace, so enriching it again gives the same results.
   * Throws when another batch was committed after this one was enriched (its view of the state is stale).
   */
  commit(): void;
}

/**
 * The enricher's logic without Kafka: raw event in, clean event and feature vector (or a reason) out.
 * Stateful (dedupe memory, sessions); feed it one partition's events in offset order, one batch at a time.
 */
export class EventEnricher {
  private readonly seen: BoundedLru<string, true>;
  private readonly sessions: SessionTracker;
  private readonly now: () => number;
  /** Counts commits, so a batch enriched before another one was committed cannot overwrite it. */
  private committedBatches = 0;

  constructor(private readonly opts: EnricherOptions) {
    this.seen = new BoundedLru(opts.dedupeCapacity);
    this.sessions = new SessionTracker(opts.sessionTimeoutMs, opts.maxUsers);
    this.now = opts.now ?? Date.now;
  }

  /**
   * Enriches a batch without changing any state: duplicates are judged against the committed memory and the
   * batch's own earlier events, sessions against the committed sessions and the batch's earlier events.
   */
  enrichBatch(raws: readonly RawEvent[]): StagedBatch {
    const basedOn = this.committedBatches;
    const seenInBatch = new Set<string>();
    const sessions = this.sessions.stage();
    const results = raws.map((raw) => this.enrichOne(raw, seenInBatch, sessions));
    let committed = false;
    return {
      results,
      commit: () => {
        if (committed) return;
        if (this.committedBatches !== basedOn) throw new Error('another batch was committed after this one was enriched: enrich it again');
        committed = true;
        this.committedBatches += 1;
        for (const messageId of seenInBatch) this.seen.set(messageId, true);
        sessions.commit();
      },
    };
  }

  /** Enriches one event and applies it at once: for callers with no output to wait for (tests, tools). */
  enrich(raw: RawEvent): EnrichmentResult {
    const batch = this.enrichBatch([raw]);
    batch.commit();
    return batch.results[0]!;
  }

  private enrichOne(raw: RawEvent, seenInBatch: Set<string>, sessions: SessionStage): EnrichmentResult {
    // NOTE: keyed by messageId alone: clients reuse it when they retry, and that is what makes a retry a duplicate.
    if (seenInBatch.has(raw.messageId) || this.seen.has(raw.messageId)) return { outcome: 'duplicate' };
    const normalised = normaliseEvent(raw, { maxFutureMs: this.opts.maxFutureMs });
    if (isFailure(normalised)) return { outcome: 'rejected', failure: normalised };
    seenInBatch.add(raw.messageId);

    const n = normalised;
    const snapshot = sessions.observe(n.userKey, n.kind, n.eventTime, { price: n.price, quantity: n.quantity });
    const enrichedAt = this.now();
    const time = new Date(n.eventTime);
    const clean: CleanEvent = {
      messageId: raw.messageId,
      type: n.type,
      source: raw.source,
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
      ...n.contextFields,
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
            receivedAt: raw.receivedAt,
            features: snapshot.features,
          };
    return { outcome: 'enriched', clean, features };
  }

  get trackedUsers(): number {
    return this.sessions.trackedUsers;
  }
}
