import { Random } from './random';
import { MAX_GAP_MS, MAX_SESSION_MS, MIN_GAP_MS, planCrawl, planSession, type SessionPlan, type Visitor } from './shopper-model';
import { TrafficSimulator } from './traffic-simulator';

const visitor = (overrides: Partial<Visitor> = {}): Visitor => ({
  anonymousId: 'anon-1',
  userId: null,
  userAgent: 'test-agent',
  device: 'desktop',
  priorSessions: 0,
  priorPurchases: 0,
  ...overrides,
});

function plans(seed: number, n: number): SessionPlan[] {
  const rng = new Random(seed);
  return Array.from({ length: n }, (_, i) => planSession(rng, visitor({ anonymousId: `anon-${i}` }), 1_700_000_000_000 + i * 1000));
}

describe('planSession', () => {
  it('is deterministic for a seed', () => {
    expect(plans(7, 50)).toEqual(plans(7, 50));
    expect(plans(7, 50)).not.toEqual(plans(8, 50));
  });

  it('lands the purchase rate between 10 % and 25 %', () => {
    const sample = plans(42, 5_000);
    const rate = sample.filter((p) => p.purchased).length / sample.length;
    expect(rate).toBeGreaterThan(0.1);
    expect(rate).toBeLessThan(0.25);
  });

  it('makes purchases depend on behaviour a model can see', () => {
    const sample = plans(3, 5_000);
    const mean = (group: SessionPlan[], name: string) =>
      group.reduce((n, p) => n + p.events.filter((e) => e.event.event === name).length, 0) / group.length;
    const buyers = sample.filter((p) => p.purchased);
    const others = sample.filter((p) => !p.purchased);
    // Buyers clicked and searched more before buying (neither is touched by the purchase itself).
    expect(mean(buyers, 'Product Clicked')).toBeGreaterThan(1.5 * mean(others, 'Product Clicked'));
    expect(mean(buyers, 'Products Searched')).toBeGreaterThan(1.2 * mean(others, 'Products Searched'));
  });

  it('orders a session in time with 100 ms – 3 s gaps and stays under ~20 s', () => {
    for (const plan of plans(11, 2_000)) {
      const times = plan.events.map((e) => e.atMs);
      for (let i = 1; i < times.length; i++) {
        const gap = times[i]! - times[i - 1]!;
        expect(gap).toBeGreaterThanOrEqual(MIN_GAP_MS);
        expect(gap).toBeLessThanOrEqual(MAX_GAP_MS);
      }
      expect(times[times.length - 1]! - plan.startMs).toBeLessThanOrEqual(MAX_SESSION_MS);
      expect(plan.events.map((e) => Date.parse(e.event.timestamp))).toEqual(times);
    }
  });

  it('gives every event the fields the collector and enricher require', () => {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    const ids = new Set<string>();
    const rng = new Random(5);
    const sample = Array.from({ length: 500 }, (_, i) =>
      planSession(rng, visitor({ userId: i % 2 === 0 ? `user-${i}` : null, anonymousId: `anon-${i}` }), Date.now()),
    );
    for (const plan of sample) {
      expect(plan.events[0]!.event.type).toBe('page');
      for (const { event } of plan.events) {
        expect(event.messageId).toMatch(uuid);
        ids.add(event.messageId);
        expect(event.anonymousId).toBe(plan.visitor.anonymousId);
        expect(event.userId).toBe(plan.visitor.userId ?? undefined);
        expect(new Date(event.timestamp).toISOString()).toBe(event.timestamp);
        expect(event.context.userAgent).toBe('test-agent');
        expect(event.context.page).toEqual({ url: expect.any(String), path: expect.any(String), referrer: expect.any(String), title: expect.any(String) });
        if (event.type === 'page') {
          expect(event.event).toBeUndefined();
          expect(event.properties.path).toBe(event.context.page.path);
        } else {
          expect(event.event).toEqual(expect.any(String));
        }
        switch (event.event) {
          case 'Products Searched':
            expect(event.properties.query).toEqual(expect.any(String));
            break;
          case 'Product Added':
            expect(event.properties).toMatchObject({ productId: expect.any(String), category: expect.any(String), price: expect.any(Number), quantity: expect.any(Number) });
            break;
          case 'Order Completed':
            expect(event.properties.revenue).toBeGreaterThan(0);
            expect((event.properties.products as unknown[]).length).toBeGreaterThan(0);
            break;
        }
      }
      // A purchase is the last event and only happens with something in the cart.
      const names = plan.events.map((e) => e.event.event);
      expect(names.includes('Order Completed')).toBe(plan.purchased);
      if (plan.purchased) {
        expect(names[names.length - 1]).toBe('Order Completed');
        expect(names).toContain('Product Added');
      }
    }
    expect(ids.size).toBe(sample.reduce((n, p) => n + p.events.length, 0));
  });
});

describe('where visits come from, and crawlers', () => {
  it('lands tagged visits on a URL with their utm_* parameters, and later pages refer from the one before', () => {
    const sample = plans(21, 2_000);
    const landings = sample.map((p) => p.events[0]!.event.context.page);
    const tagged = landings.filter((page) => new URL(page.url).searchParams.has('utm_source'));
    // About a quarter of the visits are tagged (paid search, paid social, newsletter): catalogue.ts TRAFFIC_SOURCES.
    expect(tagged.length / landings.length).toBeGreaterThan(0.18);
    expect(tagged.length / landings.length).toBeLessThan(0.32);
    expect(new Set(tagged.map((page) => new URL(page.url).searchParams.get('utm_medium')))).toEqual(new Set(['cpc', 'paid_social', 'email']));
    expect(landings.filter((page) => page.referrer === '').length / landings.length).toBeGreaterThan(0.25);
    for (const plan of sample) {
      const pages = plan.events.filter((e) => e.event.type === 'page').map((e) => e.event.context.page);
      for (let i = 1; i < pages.length; i++) expect(pages[i]!.referrer).toBe(pages[i - 1]!.url);
    }
  });

  it('a crawl is page views only, with the crawler as user agent and no referrer, never a purchase', () => {
    const rng = new Random(4);
    const crawler = visitor({ userAgent: 'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)', device: null });
    for (let i = 0; i < 200; i++) {
      const plan = planCrawl(rng, crawler, 1_700_000_000_000);
      expect(plan.purchased).toBe(false);
      expect(plan.events.length).toBeGreaterThanOrEqual(3);
      for (const { event } of plan.events) {
        expect(event).toMatchObject({ type: 'page', context: { userAgent: crawler.userAgent, page: { referrer: '' } } });
      }
    }
  });

  it('the simulator sends a few crawlers among the shoppers', () => {
    const sim = new TrafficSimulator({ seed: 9, eventsPerSecond: 200 });
    const agents: string[] = [];
    for (let t = 0; t <= 120_000; t += 100) agents.push(...sim.tick(1_700_000_000_000 + t).map((e) => e.context.userAgent));
    const crawls = agents.filter((ua) => /bot|crawler/i.test(ua)).length / agents.length;
    expect(crawls).toBeGreaterThan(0.005);
    expect(crawls).toBeLessThan(0.06);
    expect(agents.some((ua) => ua.includes('iPhone'))).toBe(true);
    expect(agents.some((ua) => ua.includes('Windows NT'))).toBe(true);
  });
});

describe('TrafficSimulator', () => {
  const run = (seed: number, seconds: number, eventsPerSecond = 100) => {
    const sim = new TrafficSimulator({ seed, eventsPerSecond, minReturnGapMs: 45_000 });
    const start = 1_700_000_000_000;
    const ticks: Array<{ atMs: number; events: ReturnType<TrafficSimulator['tick']> }> = [];
    for (let t = 0; t <= seconds * 1000; t += 100) ticks.push({ atMs: start + t, events: sim.tick(start + t) });
    return { sim, ticks };
  };

  it('holds the target rate once sessions are under way', () => {
    const { ticks } = run(1, 120, 100);
    // Skip the first 30 s of ramp-up.
    const steady = ticks.filter((t) => t.atMs >= 1_700_000_030_000);
    const events = steady.reduce((n, t) => n + t.events.length, 0);
    expect(events / 90).toBeGreaterThan(85);
    expect(events / 90).toBeLessThan(115);
  });

  it('emits only events that are due, in time order, each once', () => {
    const { ticks } = run(2, 30);
    const seen = new Set<string>();
    for (const tick of ticks) {
      const times = tick.events.map((e) => Date.parse(e.timestamp));
      expect(times).toEqual([...times].sort((a, b) => a - b));
      for (const t of times) expect(t).toBeLessThanOrEqual(tick.atMs);
      for (const e of tick.events) {
        expect(seen.has(e.messageId)).toBe(false);
        seen.add(e.messageId);
      }
    }
  });

  it('keeps each visitor’s events in time order across ticks, and returning users’ sessions apart', () => {
    const { ticks, sim } = run(3, 120);
    const lastByVisitor = new Map<string, number>();
    const sessionsByUser = new Map<string, number[]>();
    for (const e of ticks.flatMap((t) => t.events)) {
      const at = Date.parse(e.timestamp);
      expect(at).toBeGreaterThanOrEqual(lastByVisitor.get(e.anonymousId) ?? 0);
      if (e.userId) {
        const previous = lastByVisitor.get(e.anonymousId);
        // A new session of a known user starts at least minReturnGapMs after the last one ended.
        if (previous !== undefined && at - previous > 3_000) expect(at - previous).toBeGreaterThanOrEqual(45_000);
        sessionsByUser.set(e.userId, [...(sessionsByUser.get(e.userId) ?? []), at]);
      }
      lastByVisitor.set(e.anonymousId, at);
    }
    expect(sessionsByUser.size).toBeGreaterThan(10);
    expect(sim.snapshot().sessionsStarted).toBeGreaterThan(1000);
  });

  it('replays the same events for the same seed and tick times', () => {
    const ids = (seed: number) => run(seed, 10).ticks.flatMap((t) => t.events.map((e) => e.messageId));
    expect(ids(9)).toEqual(ids(9));
  });
});

describe('anonymous shoppers who sign in mid-visit', () => {
  it('send one identify with their anonymousId half-way, and the user on every event after it', () => {
    const rng = new Random(11);
    for (let i = 0; i < 200; i++) {
      const plan = planSession(rng, visitor({ anonymousId: `anon-${i}` }), 1_700_000_000_000, `shopper-${i}`);
      expect(plan.signedInAs).toBe(`shopper-${i}`);
      const types = plan.events.map((e) => e.event.type);
      const at = types.indexOf('identify');
      expect(types.filter((t) => t === 'identify')).toHaveLength(1);
      expect(at).toBeGreaterThan(0);
      plan.events.forEach(({ event }, j) => {
        expect(event.anonymousId).toBe(`anon-${i}`);
        expect(event.userId).toBe(j >= at ? `shopper-${i}` : undefined);
      });
      const times = plan.events.map((e) => e.atMs);
      expect(times).toEqual([...times].sort((a, b) => a - b));
    }
  });

  it('come back later signed in, from the same browser (anonymousId)', () => {
    const sim = new TrafficSimulator({ seed: 4, eventsPerSecond: 100, minReturnGapMs: 45_000 });
    const events = [];
    for (let t = 0; t <= 300_000; t += 100) events.push(...sim.tick(1_700_000_000_000 + t));
    const signIns = events.filter((e) => e.type === 'identify');
    expect(signIns.length).toBeGreaterThan(20);
    const browserOf = new Map(signIns.map((e) => [e.userId!, e.anonymousId]));
    const signedInAt = new Map(signIns.map((e) => [e.userId!, Date.parse(e.timestamp)]));
    const returned = events.filter((e) => e.type !== 'identify' && e.userId !== undefined && Date.parse(e.timestamp) - (signedInAt.get(e.userId) ?? Infinity) > 45_000);
    expect(returned.length).toBeGreaterThan(0);
    for (const e of returned) expect(e.anonymousId).toBe(browserOf.get(e.userId!));
  });
});
