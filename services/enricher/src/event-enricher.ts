import type { CleanEvent, FeatureVector, IdentityLink, RawEvent, VisitorState } from '@telltale/contracts';
import { isFailure, normaliseEvent, type NormalisedEvent } from './event-cleaner';
import { PartitionState, type PartitionStateLimits, type StateChange } from './partition-state';
import { observeEvent, type AsOf } from './session-tracker';
import { deviceFeaturesOf, landingFeaturesOf } from './enrichments/context-features';

/** Why an event was dead-lettered: invalid input, a second user for a linked anonymous id, or later than the bound. */
export type RejectionCause = 'invalid' | 'link_refused' | 'too_late';

export type EnrichmentResult =
  | {
      outcome: 'enriched';
      clean: CleanEvent;
      /** null for identify calls (no behaviour). */
      features: FeatureVector | null;
      /** The anonymous id this event linked to a user for the first time. */
      link: IdentityLink | null;
      /** Earlier than the visitor's latest event, within the lateness bound: joined the current session. */
      late: boolean;
      /** What the vector's counters count (session-tracker `AsOf`): 'latest' for an event in order. */
      asOf: AsOf;
    }
  | { outcome: 'duplicate' }
  | { outcome: 'rejected'; cause: RejectionCause; failure: { field: string; reason: string } };

export interface EnricherOptions extends PartitionStateLimits {
  sessionTimeoutMs: number;
  /** How far behind the visitor's latest event time an event may be and still join its session. */
  latenessMs: number;
  /** Most of a session's latest events kept for late events (session-tracker `RECENT_EVENTS_CAP` when absent). */
  recentEventsCap?: number;
  maxFutureMs: number;
  now?: () => number;
}

/**
 * The enricher's logic for one partition of events.raw, without Kafka: raw event in, clean event and feature vector
 * (or a reason) out. Feed it the partition's events in offset order. Each call changes the state at once and records
 * the change for the changelog (`takeChanges`); a caller whose outputs fail drops this enricher and restores a new
 * one from the changelog, so a retried batch meets the state the first try met.
 */
export class EventEnricher {
  private readonly state: PartitionState;
  private readonly now: () => number;

  constructor(
    private readonly opts: EnricherOptions,
    state?: PartitionState,
  ) {
    this.state = state ?? new PartitionState(opts);
    this.now = opts.now ?? Date.now;
  }

  /**
   * Rules, in order:
   * - de-duplication: a messageId seen within the window (collector receive time) is a duplicate, dropped;
   * - identity: identify (anonymousId + userId) and alias (previousId → userId) link the anonymous id to the user,
   *   first link wins; a link to a different user is refused (dead-lettered); the visitor's later events without a
   *   userId carry the linked one;
   * - lateness: an event earlier than the visitor's latest event time by at most `latenessMs` joins the current
   *   session and gets the vector as of its own event time (only the session's events at or before it: see
   *   `observeEvent`); an event later than that is dead-lettered.
   */
  enrich(raw: RawEvent): EnrichmentResult {
    // NOTE: keyed by messageId alone: clients reuse it when they retry, and that is what makes a retry a duplicate.
    if (this.state.isDuplicate(raw.messageId)) return { outcome: 'duplicate' };
    const normalised = normaliseEvent(raw, { maxFutureMs: this.opts.maxFutureMs });
    if (isFailure(normalised)) return { outcome: 'rejected', cause: 'invalid', failure: { field: normalised.field, reason: normalised.reason } };
    const n = normalised;
    const visitorKey = visitorKeyOf(raw, n);
    const known = this.state.visitor(visitorKey);

    const linkTo = linkOf(raw, n);
    if (linkTo && known?.linkedUserId != null && known.linkedUserId !== linkTo.userId) {
      // Remembered, so a redelivery of the refused call is a duplicate rather than a second dead letter.
      this.state.rememberMessage(raw.messageId, raw.receivedAt);
      return {
        outcome: 'rejected',
        cause: 'link_refused',
        failure: {
          field: linkTo.source === 'alias' ? 'previousId' : 'anonymousId',
          reason: `${linkTo.source} refused: anonymous id ${linkTo.anonymousId} is already linked to user ${known.linkedUserId}, not ${linkTo.userId}`,
        },
      };
    }

    const lateByMs = known ? known.lastEventTime - n.eventTime : 0;
    if (lateByMs > this.opts.latenessMs) {
      this.state.rememberMessage(raw.messageId, raw.receivedAt);
      return {
        outcome: 'rejected',
        cause: 'too_late',
        failure: {
          field: 'timestamp',
          reason: `event time ${new Date(n.eventTime).toISOString()} is ${Math.round(lateByMs / 1000)} s before the visitor's latest event (${new Date(known!.lastEventTime).toISOString()}), beyond the lateness bound of ${Math.round(this.opts.latenessMs / 1000)} s`,
        },
      };
    }

    this.state.rememberMessage(raw.messageId, raw.receivedAt);
    const { visitor, snapshot, asOf } = observeEvent(
      copyOf(known),
      visitorKey,
      { kind: n.kind, eventTime: n.eventTime, price: n.price, quantity: n.quantity, referrerClass: n.contextFields.referrerClass },
      { timeoutMs: this.opts.sessionTimeoutMs, latenessMs: this.opts.latenessMs, recentEventsCap: this.opts.recentEventsCap },
    );
    let link: IdentityLink | null = null;
    if (linkTo && visitor.linkedUserId === null) {
      visitor.linkedUserId = linkTo.userId;
      link = { ...linkTo, firstLinked: n.eventTime, messageId: raw.messageId };
    }
    this.state.putVisitor(visitorKey, visitor);

    // The visitor's events carry the linked user from the link on; an event's own userId always wins.
    const userId = raw.userId ?? visitor.linkedUserId;
    const userKey = userId ?? n.userKey;
    const late = lateByMs > 0;
    const enrichedAt = this.now();
    const time = new Date(n.eventTime);
    const clean: CleanEvent = {
      messageId: raw.messageId,
      type: n.type,
      source: raw.source,
      event: n.event,
      kind: n.kind,
      userKey,
      userId,
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
            userKey,
            sessionId: snapshot.sessionId,
            messageId: raw.messageId,
            eventKind: n.kind,
            eventTime: n.eventTime,
            computedAt: enrichedAt,
            receivedAt: raw.receivedAt,
            features: { ...snapshot.features, ...deviceFeaturesOf(n.contextFields.deviceType), ...landingFeaturesOf(visitor.landingReferrerClass) },
          };
    return { outcome: 'enriched', clean, features, link, late, asOf };
  }

  /** The state changes since the last call, for the changelog. */
  takeChanges(): StateChange[] {
    return this.state.takeChanges();
  }

  /** Visitors and messages forgotten for room (not for age) since the last call. */
  takeEvictions(): { visitors: number; messages: number } {
    return this.state.takeEvictions();
  }

  get trackedVisitors(): number {
    return this.state.visitorCount;
  }

  get rememberedMessages(): number {
    return this.state.messageCount;
  }

  /** The state's heap by the measured cost of its entries. */
  get stateBytes(): number {
    return this.state.estimatedBytes;
  }
}

/**
 * Whose state an event belongs to: the anonymousId, else the userId; an alias call's previousId (the id it links).
 * NOTE: the collector keys events.raw by the same id (partitionKeyOf), so one visitor's state lives in one partition.
 */
export function visitorKeyOf(raw: RawEvent, n: Pick<NormalisedEvent, 'userKey' | 'properties'>): string {
  if (raw.type === 'alias') {
    const previousId = n.properties.previousId;
    if (typeof previousId === 'string' && previousId !== '') return previousId;
  }
  return raw.anonymousId ?? n.userKey;
}

/** The link an identify or alias call asks for, if any. */
function linkOf(raw: RawEvent, n: Pick<NormalisedEvent, 'properties'>): Omit<IdentityLink, 'firstLinked' | 'messageId'> | null {
  if (raw.userId === null) return null;
  if (raw.type === 'identify' && raw.anonymousId !== null) return { anonymousId: raw.anonymousId, userId: raw.userId, source: 'identify' };
  const previousId = n.properties.previousId;
  if (raw.type === 'alias' && typeof previousId === 'string' && previousId !== '' && previousId !== raw.userId) {
    return { anonymousId: previousId, userId: raw.userId, source: 'alias' };
  }
  return null;
}

/** The visitor is changed in a copy: the object in the state may still be waiting in the changelog changes. */
function copyOf(visitor: VisitorState | undefined): VisitorState | undefined {
  return visitor && { ...visitor };
}
