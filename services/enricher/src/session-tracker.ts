import { createHash } from 'node:crypto';
import type { EventKind, SessionFeatureName } from '@telltale/contracts';
import { BoundedLru } from './bounded-lru';

interface SessionState {
  sessionId: string;
  startedAt: number;
  lastEventTime: number;
  events: number;
  pageViews: number;
  clicks: number;
  searches: number;
  addToCarts: number;
  cartValue: number;
  purchased: boolean;
}

interface UserState {
  session: SessionState;
  /** Sessions of this user that ended before the current one (while remembered). */
  priorSessions: number;
  priorPurchases: number;
}


export interface SessionSnapshot {
  sessionId: string;
  features: Record<SessionFeatureName, number>;
}

/**
 * Assigns sessions and keeps per-session counters, one user at a time. A session ends after `timeoutMs` without events.
 * Session ids are a hash of the user and the session's first event time, so replaying the same events after a
 * restart yields the same ids.
 *
 * Observations are staged (`stage()`) and change the tracker only on `commit()`: a batch whose outputs were not
 * acknowledged is dropped and its retry sees the same state, so it gets the same sessions and counters.
 */
export class SessionTracker {
  private readonly users: BoundedLru<string, UserState>;

  constructor(
    private readonly timeoutMs: number,
    maxUsers: number,
  ) {
    this.users = new BoundedLru(maxUsers);
  }

  /** A staging area over the current state, for one batch. */
  stage(): SessionStage {
    return new SessionStage(this.timeoutMs, this.users);
  }

  get trackedUsers(): number {
    return this.users.size;
  }
}

/**
 * One batch's view of the sessions: users it touches are copied on first touch and changed in the copy.
 * NOTE: the least recently used users are forgotten at commit, not mid-batch, so a batch never forgets a user it
 * is about to see again.
 */
export class SessionStage {
  /** Copies of the users this batch touched, in order of last touch (the order commit() marks them used). */
  private readonly touched = new Map<string, UserState>();

  constructor(
    private readonly timeoutMs: number,
    private readonly users: BoundedLru<string, UserState>,
  ) {}

  observe(userKey: string, kind: EventKind, eventTime: number, amounts: { price: number | null; quantity: number | null }): SessionSnapshot {
    let user = this.touched.get(userKey) ?? copyOf(this.users.peek(userKey));
    let previousEventTime: number | null = null;
    if (!user || eventTime - user.session.lastEventTime > this.timeoutMs) {
      const priorSessions = user ? user.priorSessions + 1 : 0;
      const priorPurchases = user ? user.priorPurchases + (user.session.purchased ? 1 : 0) : 0;
      user = { session: newSession(userKey, eventTime), priorSessions, priorPurchases };
    } else {
      previousEventTime = user.session.lastEventTime;
    }
    this.touched.delete(userKey);
    this.touched.set(userKey, user);

    const s = user.session;
    // TRICKY: late events join the current session but never move its clock backwards.
    s.lastEventTime = Math.max(s.lastEventTime, eventTime);
    s.startedAt = Math.min(s.startedAt, eventTime);
    s.events += 1;
    if (kind === 'page_view') s.pageViews += 1;
    if (kind === 'click') s.clicks += 1;
    if (kind === 'search') s.searches += 1;
    if (kind === 'add_to_cart') {
      s.addToCarts += 1;
      s.cartValue += (amounts.price ?? 0) * (amounts.quantity ?? 1);
    }
    if (kind === 'purchase') s.purchased = true;

    const time = new Date(eventTime);
    const hour = time.getUTCHours() + time.getUTCMinutes() / 60;
    const day = time.getUTCDay();
    return {
      sessionId: s.sessionId,
      features: {
        session_events: s.events,
        session_page_views: s.pageViews,
        session_clicks: s.clicks,
        session_searches: s.searches,
        session_add_to_carts: s.addToCarts,
        session_cart_value: round2(s.cartValue),
        session_duration_s: (s.lastEventTime - s.startedAt) / 1000,
        seconds_since_prev_event: previousEventTime === null ? 0 : Math.max(0, eventTime - previousEventTime) / 1000,
        // Hour as a point on a circle, so 23:00 and 00:00 are neighbours.
        hour_sin: round6(Math.sin((2 * Math.PI * hour) / 24)),
        hour_cos: round6(Math.cos((2 * Math.PI * hour) / 24)),
        is_weekend: day === 0 || day === 6 ? 1 : 0,
        user_prior_sessions: user.priorSessions,
        user_prior_purchases: user.priorPurchases,
      },
    };
  }

  /** Writes the batch's users into the tracker, the most recently touched last (so most recently used). */
  commit(): void {
    for (const [userKey, user] of this.touched) this.users.set(userKey, user);
  }
}

function copyOf(user: UserState | undefined): UserState | undefined {
  return user && { ...user, session: { ...user.session } };
}

function newSession(userKey: string, startedAt: number): SessionState {
  const sessionId = createHash('sha256').update(`${userKey}\u0000${startedAt}`).digest('hex').slice(0, 32);
  return { sessionId, startedAt, lastEventTime: startedAt, events: 0, pageViews: 0, clicks: 0, searches: 0, addToCarts: 0, cartValue: 0, purchased: false };
}

const round2 = (n: number) => Math.round(n * 100) / 100;
const round6 = (n: number) => Math.round(n * 1e6) / 1e6;
