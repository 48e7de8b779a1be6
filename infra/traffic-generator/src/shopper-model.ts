import {
  CATALOGUE,
  CATEGORIES,
  DEVICE_INTENT_SHIFT,
  SEARCH_TERMS,
  SHOP_ORIGIN,
  TRAFFIC_SOURCES,
  type Device,
  type Product,
  type TrafficSource,
} from './catalogue';
import { sigmoid, type Random } from './random';

/** One event as the Segment HTTP API takes it. */
export interface SegmentEvent {
  type: 'page' | 'track' | 'identify';
  /** track events only: the Segment e-commerce spec name ('Product Added', ...). */
  event?: string;
  /** page events only: the page's name. */
  name?: string;
  messageId: string;
  anonymousId: string;
  userId?: string;
  /** ISO 8601, when the visitor did it. */
  timestamp: string;
  properties: Record<string, unknown>;
  /** identify events only: what the shop knows of the user. */
  traits?: Record<string, unknown>;
  context: {
    userAgent: string;
    page: { url: string; path: string; referrer: string; title: string };
    library: { name: string; version: string };
  };
}

/** Someone browsing: a device (anonymousId) and, for logged-in returning users, a userId. */
export interface Visitor {
  anonymousId: string;
  userId: string | null;
  userAgent: string;
  /** The device the user agent is from; crawlers have none. */
  device: Device | null;
  /** Sessions and purchases this visitor had before; returning buyers are likelier to buy again. */
  priorSessions: number;
  priorPurchases: number;
}

export interface PlannedEvent {
  /** Wall-clock time the event is due, UTC ms. Also its timestamp. */
  atMs: number;
  event: SegmentEvent;
}

export interface SessionPlan {
  visitor: Visitor;
  /** The hidden latent intent: never sent, only used to generate behaviour. */
  intent: number;
  startMs: number;
  events: PlannedEvent[];
  purchased: boolean;
  /** The hidden model's probability for this session (for tests and diagnostics). */
  purchaseProbability: number;
  /** The user an anonymous visitor signed in as mid-visit (an identify call), else null. */
  signedInAs: string | null;
}

/**
 * The HIDDEN propensity model. Every visitor has a latent intent ~ N(0, 1) (+ a bonus for earlier purchases, + small
 * shifts by device and traffic source: catalogue.ts).
 * Intent drives how much they click, search and add to cart, and how long they dwell; the purchase then happens
 * with probability sigmoid(logit) where the logit is linear in the observed behaviour, the intent and noise.
 * A logistic regression on session features (counts, cart value, duration, prior purchases) can learn most of it;
 * the intent and the noise are what it cannot see. The intercept puts the purchase rate at roughly 15-20 %.
 */
export const HIDDEN_MODEL = {
  intercept: -4.2,
  perAddToCart: 0.9,
  perClick: 0.15,
  perSearch: 0.2,
  perCartDollar: 0.004,
  perDwellSecond: 0.06,
  intent: 0.8,
  perPriorPurchase: 0.4,
  noiseSd: 0.5,
} as const;

/** Gaps between a session's events, ms: the brief's 100 ms – 3 s; sessions stay under ~20 s. */
export const MIN_GAP_MS = 100;
export const MAX_GAP_MS = 3_000;
export const MAX_SESSION_MS = 20_000;
const MAX_ACTIONS = 16;

type Action = 'page' | 'click' | 'search' | 'add';

const LIBRARY = { name: 'telltale-traffic-generator', version: '0.1.0' };

/**
 * Plans one session from start to (maybe) purchase. Pure given the generator's state. With `signInAs`, the anonymous
 * visitor signs in half-way through (an identify call with the same anonymousId, as Segment's browser library sends
 * it), and the later events carry the userId.
 */
export function planSession(rng: Random, visitor: Visitor, startMs: number, signInAs: string | null = null): SessionPlan {
  const source = rng.pickWeighted(TRAFFIC_SOURCES);
  const deviceShift = visitor.device === null ? 0 : DEVICE_INTENT_SHIFT[visitor.device];
  const intent = rng.normal() + 0.4 * Math.min(visitor.priorPurchases, 3) + deviceShift + source.intentShift;
  const engagement = Math.exp(intent);

  const extraPages = rng.poisson(2);
  const clicks = rng.poisson(1.6 * Math.sqrt(engagement));
  const searches = rng.poisson(0.5 * engagement ** 0.4);
  const adds = Math.min(4, rng.poisson(0.35 * engagement ** 0.8));
  const actions: Action[] = [
    ...repeat<Action>('page', extraPages),
    ...repeat<Action>('click', clicks),
    ...repeat<Action>('search', searches),
    ...repeat<Action>('add', adds),
  ];
  shuffle(rng, actions);
  actions.length = Math.min(actions.length, MAX_ACTIONS);

  // Engaged visitors dwell longer between events.
  const meanGapMs = 500 + 1_200 * sigmoid(intent);
  const gaps = actions.map(() => clamp(meanGapMs * rng.uniform(0.3, 1.7), MIN_GAP_MS, MAX_GAP_MS));
  const purchaseGap = clamp(meanGapMs * rng.uniform(0.5, 1.5), MIN_GAP_MS, MAX_GAP_MS);
  // Keep the whole session (and a possible "buy now" add and the purchase) within MAX_SESSION_MS.
  const budget = MAX_SESSION_MS - 2 * purchaseGap;
  const total = gaps.reduce((a, b) => a + b, 0);
  if (total > budget) for (let i = 0; i < gaps.length; i++) gaps[i] = Math.max(MIN_GAP_MS, (gaps[i]! * budget) / total);

  const session = new SessionWriter(rng, visitor, startMs);
  session.landing(source);
  const signInAfter = Math.floor(actions.length / 2);
  if (signInAs !== null && signInAfter === 0) session.signIn(signInAs);
  actions.forEach((action, i) => {
    session.act(action, gaps[i]!);
    if (signInAs !== null && i + 1 === signInAfter) session.signIn(signInAs);
  });

  const counts = session.counts();
  const logit =
    HIDDEN_MODEL.intercept +
    HIDDEN_MODEL.perAddToCart * counts.adds +
    HIDDEN_MODEL.perClick * counts.clicks +
    HIDDEN_MODEL.perSearch * counts.searches +
    HIDDEN_MODEL.perCartDollar * counts.cartValue +
    HIDDEN_MODEL.perDwellSecond * ((session.clockMs - startMs) / 1000) +
    HIDDEN_MODEL.intent * intent +
    HIDDEN_MODEL.perPriorPurchase * Math.min(visitor.priorPurchases, 3) +
    HIDDEN_MODEL.noiseSd * rng.normal();
  const purchaseProbability = sigmoid(logit);
  const purchased = rng.chance(purchaseProbability);
  if (purchased) {
    // "Buy now" without a cart: the shop adds the product first, as real shops do.
    if (counts.adds === 0) session.act('add', MIN_GAP_MS + rng.int(0, 400));
    session.purchase(purchaseGap);
  }
  return { visitor, intent, startMs, events: session.events, purchased, purchaseProbability, signedInAs: signInAs };
}

/** A crawler's visit: a few page views in quick succession, no referrer, nothing clicked, never a purchase. */
export function planCrawl(rng: Random, crawler: Visitor, startMs: number): SessionPlan {
  const session = new SessionWriter(rng, crawler, startMs);
  session.crawl(rng.int(3, 8));
  return { visitor: crawler, intent: Number.NEGATIVE_INFINITY, startMs, events: session.events, purchased: false, purchaseProbability: 0, signedInAs: null };
}

/** Builds a session's events in order, keeping the page the visitor is on and the cart. */
class SessionWriter {
  readonly events: PlannedEvent[] = [];
  clockMs: number;
  private page = { url: '', path: '', referrer: '', title: '' };
  private focus: Product;
  private readonly cart: Array<{ product: Product; quantity: number }> = [];
  private clicks = 0;
  private searches = 0;
  private userId: string | null;

  constructor(
    private readonly rng: Random,
    private readonly visitor: Visitor,
    startMs: number,
  ) {
    this.clockMs = startMs;
    this.focus = rng.pick(CATALOGUE);
    this.userId = visitor.userId;
  }

  /** The visitor logs in: an identify call at the moment of the last event, then every event carries the user. */
  signIn(userId: string): void {
    this.userId = userId;
    this.push({ type: 'identify', properties: {}, traits: { memberSince: new Date(this.clockMs).toISOString().slice(0, 10) } });
  }

  /** The first page, with the source's referrer and its UTM tags on the URL (as an ad or a newsletter links it). */
  landing(source: TrafficSource): void {
    const where = this.rng.next();
    const query = new URLSearchParams(source.utm).toString();
    const landing = { referrer: source.referrer, query: query === '' ? '' : `?${query}` };
    if (where < 0.4) this.view('/', 'Home', landing);
    else if (where < 0.7) this.viewCategory(this.rng.pick(CATEGORIES), landing);
    else this.viewProduct(this.focus, landing);
  }

  crawl(pages: number): void {
    this.view('/', 'Home', { referrer: '', query: '' });
    for (let i = 1; i < pages; i++) {
      this.clockMs += this.rng.int(200, 1_500);
      if (this.rng.chance(0.5)) this.viewCategory(this.rng.pick(CATEGORIES), { referrer: '', query: '' });
      else this.viewProduct(this.rng.pick(CATALOGUE), { referrer: '', query: '' });
    }
  }

  act(action: Action, gapMs: number): void {
    this.clockMs += Math.round(gapMs);
    switch (action) {
      case 'page':
        if (this.rng.chance(0.5)) this.viewCategory(this.rng.pick(CATEGORIES), { referrer: this.page.url, query: '' });
        else this.viewProduct(this.rng.pick(CATALOGUE), { referrer: this.page.url, query: '' });
        return;
      case 'click':
        this.focus = this.rng.chance(0.6) ? this.rng.pick(CATALOGUE.filter((p) => p.category === this.focus.category)) : this.rng.pick(CATALOGUE);
        this.clicks += 1;
        this.track('Product Clicked', { productId: this.focus.productId, name: this.focus.name, category: this.focus.category, price: this.focus.price });
        return;
      case 'search': {
        const query = this.rng.pick(SEARCH_TERMS);
        this.searches += 1;
        this.track('Products Searched', { query });
        return;
      }
      case 'add': {
        const quantity = this.rng.chance(0.8) ? 1 : this.rng.int(2, 3);
        this.cart.push({ product: this.focus, quantity });
        this.track('Product Added', {
          productId: this.focus.productId,
          name: this.focus.name,
          category: this.focus.category,
          price: this.focus.price,
          quantity,
        });
        // The next add is likelier to be another product.
        this.focus = this.rng.pick(CATALOGUE);
        return;
      }
    }
  }

  purchase(gapMs: number): void {
    this.clockMs += Math.round(gapMs);
    const revenue = round2(this.cart.reduce((sum, line) => sum + line.product.price * line.quantity, 0));
    this.track('Order Completed', {
      orderId: `order-${this.rng.uuid().slice(0, 8)}`,
      revenue,
      currency: 'USD',
      products: this.cart.map((line) => ({
        productId: line.product.productId,
        category: line.product.category,
        price: line.product.price,
        quantity: line.quantity,
      })),
    });
  }

  counts(): { clicks: number; searches: number; adds: number; cartValue: number } {
    return {
      clicks: this.clicks,
      searches: this.searches,
      adds: this.cart.length,
      cartValue: this.cart.reduce((sum, line) => sum + line.product.price * line.quantity, 0),
    };
  }

  private viewCategory(category: string, from: PageOrigin): void {
    this.view(`/c/${category}`, `Category: ${category}`, from, { category });
  }

  private viewProduct(product: Product, from: PageOrigin): void {
    this.focus = product;
    this.view(`/p/${product.productId}`, product.name, from, { productId: product.productId, category: product.category });
  }

  private view(path: string, title: string, from: PageOrigin, extra: Record<string, unknown> = {}): void {
    this.page = { url: `${SHOP_ORIGIN}${path}${from.query}`, path, referrer: from.referrer, title };
    this.push({ type: 'page', name: title, properties: { ...this.page, ...extra } });
  }

  private track(event: string, properties: Record<string, unknown>): void {
    this.push({ type: 'track', event, properties });
  }

  private push(e: Pick<SegmentEvent, 'type' | 'event' | 'name' | 'properties' | 'traits'>): void {
    const event: SegmentEvent = {
      ...e,
      messageId: this.rng.uuid(),
      anonymousId: this.visitor.anonymousId,
      ...(this.userId ? { userId: this.userId } : {}),
      timestamp: new Date(this.clockMs).toISOString(),
      context: { userAgent: this.visitor.userAgent, page: { ...this.page }, library: LIBRARY },
    };
    this.events.push({ atMs: this.clockMs, event });
  }
}

/** How a page was reached: the referrer the browser sends and the query string of the URL ('' or '?utm_...'). */
interface PageOrigin {
  referrer: string;
  query: string;
}

function repeat<T>(value: T, n: number): T[] {
  return Array.from({ length: n }, () => value);
}

function shuffle<T>(rng: Random, items: T[]): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}

const clamp = (n: number, min: number, max: number) => Math.min(max, Math.max(min, n));
const round2 = (n: number) => Math.round(n * 100) / 100;
