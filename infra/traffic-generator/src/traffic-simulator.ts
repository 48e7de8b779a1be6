import { CRAWLER_USER_AGENTS, DEVICES } from './catalogue';
import { Random } from './random';
import { planCrawl, planSession, type SegmentEvent, type SessionPlan, type Visitor } from './shopper-model';

export interface SimulatorOptions {
  seed: number;
  /** Target events per second over the long run. */
  eventsPerSecond: number;
  /** Share of sessions by logged-in returning users (with a userId). @default 0.3 */
  returningShare?: number;
  /** Most distinct logged-in users. @default 400 */
  userPoolSize?: number;
  /**
   * Least time between the end of a user's session and their next one, ms. Keep it above the enricher's session
   * timeout (ENRICHER_SESSION_TIMEOUT_S) or the two visits become one session. @default 45000
   */
  minReturnGapMs?: number;
  /** Share of sessions that are a crawler fetching pages (flagged as bots by the enricher). @default 0.03 */
  crawlerShare?: number;
  /**
   * Share of new (anonymous) visitors who sign in mid-visit (an identify with their anonymousId) and come back
   * later as that logged-in user, while the user pool has room. @default 0.2
   */
  signInShare?: number;
}

export interface SimulatorStats {
  sessionsStarted: number;
  sessionsPurchased: number;
  activeSessions: number;
  eventsEmitted: number;
}

interface ActiveSession {
  plan: SessionPlan;
  next: number;
}

interface KnownUser {
  visitor: Visitor;
  availableAtMs: number;
}

/**
 * Many concurrent sessions progressing in real time. Call tick(now) regularly: it starts sessions to hold the target
 * rate and returns the events that became due, oldest first. Deterministic for a seed and a sequence of tick times.
 */
export class TrafficSimulator {
  private readonly rng: Random;
  private readonly active: ActiveSession[] = [];
  private readonly users: KnownUser[] = [];
  private lastTickMs: number | null = null;
  /** Events owed to the target rate; a session is started while it is positive. */
  private budget = 0;
  private readonly stats: SimulatorStats = { sessionsStarted: 0, sessionsPurchased: 0, activeSessions: 0, eventsEmitted: 0 };
  private readonly returningShare: number;
  private readonly userPoolSize: number;
  private readonly minReturnGapMs: number;
  private readonly crawlerShare: number;
  private readonly signInShare: number;

  constructor(private readonly opts: SimulatorOptions) {
    if (!(opts.eventsPerSecond > 0)) throw new Error(`eventsPerSecond must be > 0, got ${opts.eventsPerSecond}`);
    this.rng = new Random(opts.seed);
    this.returningShare = opts.returningShare ?? 0.3;
    this.userPoolSize = opts.userPoolSize ?? 400;
    this.minReturnGapMs = opts.minReturnGapMs ?? 45_000;
    this.crawlerShare = opts.crawlerShare ?? 0.03;
    this.signInShare = opts.signInShare ?? 0.2;
  }

  tick(nowMs: number): SegmentEvent[] {
    const elapsedMs = this.lastTickMs === null ? 0 : Math.max(0, nowMs - this.lastTickMs);
    this.lastTickMs = nowMs;
    this.budget += (this.opts.eventsPerSecond * elapsedMs) / 1000;
    while (this.budget > 0) this.budget -= this.startSession(nowMs).events.length;

    const due: Array<{ atMs: number; event: SegmentEvent }> = [];
    for (let i = this.active.length - 1; i >= 0; i--) {
      const session = this.active[i]!;
      const events = session.plan.events;
      while (session.next < events.length && events[session.next]!.atMs <= nowMs) due.push(events[session.next++]!);
      if (session.next >= events.length) this.active.splice(i, 1);
    }
    due.sort((a, b) => a.atMs - b.atMs);
    this.stats.eventsEmitted += due.length;
    return due.map((d) => d.event);
  }

  snapshot(): SimulatorStats {
    return { ...this.stats, activeSessions: this.active.length };
  }

  private startSession(nowMs: number): SessionPlan {
    if (this.rng.chance(this.crawlerShare)) {
      const crawler: Visitor = { anonymousId: this.rng.uuid(), userId: null, userAgent: this.rng.pick(CRAWLER_USER_AGENTS), device: null, priorSessions: 0, priorPurchases: 0 };
      const crawl = planCrawl(this.rng, crawler, nowMs);
      this.active.push({ plan: crawl, next: 0 });
      this.stats.sessionsStarted += 1;
      return crawl;
    }
    const known = this.returningUser(nowMs);
    const visitor: Visitor = known?.visitor ?? this.newVisitor(null);
    const signInAs = !known && this.users.length < this.userPoolSize && this.rng.chance(this.signInShare) ? this.nextUserId() : null;
    const plan = planSession(this.rng, visitor, nowMs, signInAs);
    const lastMs = plan.events[plan.events.length - 1]?.atMs ?? nowMs;
    if (signInAs !== null) {
      // The same browser (anonymousId) comes back signed in: one person, from their first anonymous page on.
      const signedIn: Visitor = { ...visitor, userId: signInAs, priorSessions: 1, priorPurchases: plan.purchased ? 1 : 0 };
      this.users.push({ visitor: signedIn, availableAtMs: lastMs + this.minReturnGapMs });
    }
    if (known) {
      known.availableAtMs = lastMs + this.minReturnGapMs;
      known.visitor = {
        ...visitor,
        priorSessions: visitor.priorSessions + 1,
        priorPurchases: visitor.priorPurchases + (plan.purchased ? 1 : 0),
      };
    }
    this.active.push({ plan, next: 0 });
    this.stats.sessionsStarted += 1;
    if (plan.purchased) this.stats.sessionsPurchased += 1;
    return plan;
  }

  private returningUser(nowMs: number): KnownUser | null {
    if (!this.rng.chance(this.returningShare)) return null;
    const candidate = this.users.length > 0 ? this.rng.pick(this.users) : undefined;
    if (candidate && candidate.availableAtMs <= nowMs) return candidate;
    if (this.users.length >= this.userPoolSize) return null;
    const user: KnownUser = { visitor: this.newVisitor(this.nextUserId()), availableAtMs: 0 };
    this.users.push(user);
    return user;
  }

  private nextUserId(): string {
    return `user-${String(this.users.length + 1).padStart(4, '0')}`;
  }

  private newVisitor(userId: string | null): Visitor {
    const { userAgent, device } = this.rng.pickWeighted(DEVICES);
    return { anonymousId: this.rng.uuid(), userId, userAgent, device, priorSessions: 0, priorPurchases: 0 };
  }
}
