import { ShopperEvents } from './shopper-events';

describe('ShopperEvents', () => {
  test('every event has a run-specific, unique messageId, and a timestamp not in the future', () => {
    const source = new ShopperEvents('run1-burst-');
    const before = Date.now();
    const events = [...source.next(500), ...source.next(500)];

    expect(events).toHaveLength(1_000);
    expect(new Set(events.map((e) => e.messageId)).size).toBe(1_000);
    expect(events.every((e) => e.messageId.startsWith('run1-burst-'))).toBe(true);
    expect(events.every((e) => Date.parse(e.timestamp) <= Date.now())).toBe(true);
    // Sessions end "now": the newest event is no older than the moment its session was planned.
    expect(Math.max(...events.map((e) => Date.parse(e.timestamp)))).toBeGreaterThanOrEqual(before);
  });

  test('spreads over many visitors, and some sessions purchase (the trainer needs both labels)', () => {
    const source = new ShopperEvents('run1-warmup-');
    const events = source.next(3_000);

    expect(new Set(events.map((e) => e.anonymousId)).size).toBe(source.sessions);
    expect(source.sessions).toBeGreaterThan(100);
    expect(source.purchases).toBeGreaterThan(0);
    expect(source.purchases).toBeLessThan(source.sessions);
    expect(events.some((e) => e.event === 'Order Completed')).toBe(true);
  });
});
