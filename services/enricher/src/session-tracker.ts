import { createHash } from 'node:crypto';
import type { EventKind, SessionFeatureName, VisitorState } from '@telltale/contracts';

export interface SessionSnapshot {
  sessionId: string;
  features: Record<SessionFeatureName, number>;
}

/**
 * Adds one event to a visitor's session, in place: a session ends after `timeoutMs` without events (event time),
 * and the next event starts a new one. Session ids are a hash of the visitor key and the session's first event
 * time, so replaying the same events gives the same ids.
 *
 * NOTE: the visitor key is the anonymousId (the userId only when there is none), not the user: an anonymous visit
 * that logs in mid-way keeps its session, since its events before and after the login share the anonymousId.
 * Returns the visitor (a new object when `visitor` was undefined) and the session's features after the event.
 */
export function observeEvent(
  visitor: VisitorState | undefined,
  visitorKey: string,
  event: { kind: EventKind; eventTime: number; price: number | null; quantity: number | null; referrerClass: string | null },
  timeoutMs: number,
): { visitor: VisitorState; snapshot: SessionSnapshot } {
  const { kind, eventTime } = event;
  let previousEventTime: number | null = null;
  let v: VisitorState;
  if (!visitor) {
    v = startSession(null, visitorKey, eventTime);
  } else if (eventTime - visitor.lastEventTime > timeoutMs) {
    v = startSession(visitor, visitorKey, eventTime);
  } else {
    v = visitor;
    previousEventTime = v.lastEventTime;
  }

  // TRICKY: a late event joins the current session but never moves its clock backwards.
  v.lastEventTime = Math.max(v.lastEventTime, eventTime);
  v.startedAt = Math.min(v.startedAt, eventTime);
  v.events += 1;
  if (kind === 'page_view') v.pageViews += 1;
  if (kind === 'click') v.clicks += 1;
  if (kind === 'search') v.searches += 1;
  if (kind === 'add_to_cart') {
    v.addToCarts += 1;
    v.cartValue += (event.price ?? 0) * (event.quantity ?? 1);
  }
  if (kind === 'purchase') v.purchased = true;
  // The landing: the first event of the session that had a page or a referrer (a server-side call before it has none).
  v.landingReferrerClass ??= event.referrerClass;

  const time = new Date(eventTime);
  const hour = time.getUTCHours() + time.getUTCMinutes() / 60;
  const day = time.getUTCDay();
  return {
    visitor: v,
    snapshot: {
      sessionId: v.sessionId,
      features: {
        session_events: v.events,
        session_page_views: v.pageViews,
        session_clicks: v.clicks,
        session_searches: v.searches,
        session_add_to_carts: v.addToCarts,
        session_cart_value: round2(v.cartValue),
        session_duration_s: (v.lastEventTime - v.startedAt) / 1000,
        seconds_since_prev_event: previousEventTime === null ? 0 : Math.max(0, eventTime - previousEventTime) / 1000,
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
  };
}

const round2 = (n: number) => Math.round(n * 100) / 100;
const round6 = (n: number) => Math.round(n * 1e6) / 1e6;
