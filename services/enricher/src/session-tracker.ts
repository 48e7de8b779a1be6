import { createHash } from 'node:crypto';
import type { EventKind, SessionEvent, SessionEventKind, SessionFeatureName, VisitorState } from '@telltale/contracts';

export interface SessionSnapshot {
  sessionId: string;
  features: Record<SessionFeatureName, number>;
}

/**
 * Most of a session's latest events kept in its state (`VisitorState.recentEvents`) by default
 * (ENRICHER_LATE_EVENTS_KEPT), so that a late event's features can leave out the events after it. Delivery reorders a
 * few events (two batches in flight, a retry), so 16 covers a late event unless 16 of the visitor's events arrived
 * after it within the lateness bound; past that the oldest are dropped and a late event older than them gets a lower
 * bound (`asOf: 'lower_bound'`). 16, not more: memory at the bound is per visitor, and a partition holds 200k. It also bounds the visitor's changelog
 * record (~9 B per kept event) and memory (~77 B each).
 */
export const RECENT_EVENTS_CAP = 16;

/**
 * How a vector's counters relate to the session's events at or before its event time: all of them ('latest', an
 * event in order; 'exact', a late event whose later events were all kept), or only the event itself ('lower_bound',
 * a late event older than events dropped for the cap or written before the state kept its events).
 */
export type AsOf = 'latest' | 'exact' | 'lower_bound';

type TrackedEvent = { kind: EventKind; eventTime: number; price: number | null; quantity: number | null; referrerClass: string | null };

/**
 * Adds one event to a visitor's session: a session ends after `timeoutMs` without events (event time), and the next
 * event starts a new one. Session ids are a hash of the visitor key and the session's first event time, so replaying
 * the same events gives the same ids. `visitor` is changed in place, except its `recentEvents` array, which is
 * replaced (the previous one may still be waiting in the changelog changes).
 *
 * NOTE: the visitor key is the anonymousId (the userId only when there is none), not the user: an anonymous visit
 * that logs in mid-way keeps its session, since its events before and after the login share the anonymousId.
 *
 * An event earlier than the visitor's latest one (the caller has already refused those beyond `latenessMs`) joins
 * the current session and gets the features AS OF ITS OWN EVENT TIME: the counters count the session's events at or
 * before it (itself included), the duration runs from the session's start to it, seconds_since_prev_event from the
 * session's latest event at or before it. The session's totals count it from then on.
 * Returns the visitor (a new object when `visitor` was undefined) and the features at the event.
 */
export function observeEvent(
  visitor: VisitorState | undefined,
  visitorKey: string,
  event: TrackedEvent,
  opts: { timeoutMs: number; latenessMs: number; recentEventsCap?: number },
): { visitor: VisitorState; snapshot: SessionSnapshot; asOf: AsOf } {
  const { kind, eventTime } = event;
  let v: VisitorState;
  if (!visitor) {
    v = startSession(null, visitorKey, eventTime);
  } else if (eventTime - visitor.lastEventTime > opts.timeoutMs) {
    v = startSession(visitor, visitorKey, eventTime);
  } else {
    v = visitor;
  }
  const kept = keptEventsOf(v);
  const late = v.events > 0 && eventTime < v.lastEventTime;
  // The session's latest event at or before this one: the latest kept one, else the latest dropped one (every
  // dropped event is at or before every kept one), if that is not after this event.
  let previousEventTime: number | null = null;
  for (const e of kept) if (e.eventTime <= eventTime) previousEventTime = e.eventTime;
  if (previousEventTime === null && v.droppedUpTo !== null && v.droppedUpTo <= eventTime) previousEventTime = v.droppedUpTo;
  // Every event after this one is kept unless some dropped event is after it (the cap, or an old state).
  const asOf: AsOf = !late ? 'latest' : v.droppedUpTo !== null && v.droppedUpTo > eventTime ? 'lower_bound' : 'exact';

  // TRICKY: a late event joins the current session but never moves its clock backwards.
  v.lastEventTime = Math.max(v.lastEventTime, eventTime);
  v.startedAt = Math.min(v.startedAt, eventTime);
  const own: SessionEvent = { eventTime, kind: sessionKindOf(kind), cartAmount: kind === 'add_to_cart' ? (event.price ?? 0) * (event.quantity ?? 1) : null };
  v.events += 1;
  count(v, own, +1);
  if (kind === 'purchase') v.purchased = true;
  // The landing: the first event of the session that had a page or a referrer (a server-side call before it has none).
  v.landingReferrerClass ??= event.referrerClass;
  keepEvent(v, kept, own, opts.latenessMs, opts.recentEventsCap ?? RECENT_EVENTS_CAP);

  // The counters as of this event: the totals less the events after it (all kept, unless asOf is 'lower_bound').
  const asOfEvent: SessionCounters = { events: v.events, pageViews: v.pageViews, clicks: v.clicks, searches: v.searches, addToCarts: v.addToCarts, cartValue: v.cartValue };
  if (asOf === 'exact') {
    for (const e of kept) {
      if (e.eventTime <= eventTime) continue;
      asOfEvent.events -= 1;
      count(asOfEvent, e, -1);
    }
  } else if (asOf === 'lower_bound') {
    // NOTE: which dropped events came after this one is unknown: count only what is sure to be at or before it.
    Object.assign(asOfEvent, { events: 1, pageViews: 0, clicks: 0, searches: 0, addToCarts: 0, cartValue: 0 });
    count(asOfEvent, own, +1);
  }

  const time = new Date(eventTime);
  const hour = time.getUTCHours() + time.getUTCMinutes() / 60;
  const day = time.getUTCDay();
  return {
    visitor: v,
    asOf,
    snapshot: {
      sessionId: v.sessionId,
      features: {
        session_events: asOfEvent.events,
        session_page_views: asOfEvent.pageViews,
        session_clicks: asOfEvent.clicks,
        session_searches: asOfEvent.searches,
        session_add_to_carts: asOfEvent.addToCarts,
        session_cart_value: round2(asOfEvent.cartValue),
        session_duration_s: (eventTime - v.startedAt) / 1000,
        seconds_since_prev_event: previousEventTime === null ? 0 : (eventTime - previousEventTime) / 1000,
        // Hour as a point on a circle, so 23:00 and 00:00 are neighbours.
        hour_sin: round6(Math.sin((2 * Math.PI * hour) / 24)),
        hour_cos: round6(Math.cos((2 * Math.PI * hour) / 24)),
        is_weekend: day === 0 || day === 6 ? 1 : 0,
        user_prior_sessions: v.priorSessions,
        user_prior_purchases: v.priorPurchases,
      },
    },
  };
}

type SessionCounters = Pick<VisitorState, 'events' | 'pageViews' | 'clicks' | 'searches' | 'addToCarts' | 'cartValue'>;

/** Adds (sign +1) or takes away (-1) an event's contribution to the per-kind counters. */
function count(c: SessionCounters, e: SessionEvent, sign: 1 | -1): void {
  if (e.kind === 'page_view') c.pageViews += sign;
  if (e.kind === 'click') c.clicks += sign;
  if (e.kind === 'search') c.searches += sign;
  if (e.kind === 'add_to_cart') {
    c.addToCarts += sign;
    c.cartValue += sign * (e.cartAmount ?? 0);
  }
}

const sessionKindOf = (kind: EventKind): SessionEventKind =>
  kind === 'page_view' || kind === 'click' || kind === 'search' || kind === 'add_to_cart' ? kind : 'other';

/**
 * The session's kept events. A state written before they were kept (recentEvents null) has dropped them all, the
 * latest at lastEventTime.
 */
function keptEventsOf(v: VisitorState): SessionEvent[] {
  if (v.recentEvents === null) {
    if (v.events > 0) v.droppedUpTo = Math.max(v.droppedUpTo ?? v.lastEventTime, v.lastEventTime);
    return [];
  }
  return v.recentEvents;
}

/**
 * Puts `own` among the kept events (in event-time order, after equal times), in a new array, then drops the ones
 * beyond the lateness bound of lastEventTime (no event that old can still arrive) and, oldest first, those beyond the
 * cap, remembering the latest time dropped.
 */
function keepEvent(v: VisitorState, kept: SessionEvent[], own: SessionEvent, latenessMs: number, cap: number): void {
  let at = kept.length;
  while (at > 0 && kept[at - 1]!.eventTime > own.eventTime) at -= 1;
  const next = [...kept.slice(0, at), own, ...kept.slice(at)];
  let drop = 0;
  while (drop < next.length && (next[drop]!.eventTime < v.lastEventTime - latenessMs || next.length - drop > cap)) drop += 1;
  if (drop > 0) v.droppedUpTo = Math.max(v.droppedUpTo ?? Number.NEGATIVE_INFINITY, next[drop - 1]!.eventTime);
  v.recentEvents = drop > 0 ? next.slice(drop) : next;
}

/** A new session for the visitor, carrying over what came before (prior sessions and purchases, the identity link). */
function startSession(previous: VisitorState | null, visitorKey: string, startedAt: number): VisitorState {
  const sessionId = createHash('sha256').update(`${visitorKey}\u0000${startedAt}`).digest('hex').slice(0, 32);
  return {
    sessionId,
    startedAt,
    lastEventTime: startedAt,
    events: 0,
    pageViews: 0,
    clicks: 0,
    searches: 0,
    addToCarts: 0,
    cartValue: 0,
    purchased: false,
    priorSessions: previous ? previous.priorSessions + 1 : 0,
    priorPurchases: previous ? previous.priorPurchases + (previous.purchased ? 1 : 0) : 0,
    linkedUserId: previous?.linkedUserId ?? null,
    landingReferrerClass: null,
    recentEvents: [],
    droppedUpTo: null,
  };
}

const round2 = (n: number) => Math.round(n * 100) / 100;
const round6 = (n: number) => Math.round(n * 1e6) / 1e6;
