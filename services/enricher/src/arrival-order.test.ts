import { ArrivalOrder } from './arrival-order';

describe('ArrivalOrder', () => {
  it('gives the oldest live key, skipping keys deleted or set again since', () => {
    const map = new Map<string, object>();
    const order = new ArrivalOrder<object>((k) => map.get(k), () => map.size);
    const set = (k: string) => {
      const v = {};
      map.set(k, v);
      order.added(k, v);
    };
    set('a');
    set('b');
    set('c');
    expect(order.oldest()?.[0]).toBe('a');
    set('a'); // active again: now the newest
    expect(order.oldest()?.[0]).toBe('b');
    map.delete('b');
    expect(order.oldest()?.[0]).toBe('c');
    map.delete('c');
    expect(order.oldest()?.[0]).toBe('a');
    map.delete('a');
    expect(order.oldest()).toBeUndefined();
  });

  it('forgets the oldest and adds the newest in amortised constant work, however large the map (a FIFO at steady size)', () => {
    const map = new Map<string, number>();
    let lookups = 0;
    const order = new ArrivalOrder<number>(
      (k) => {
        lookups += 1;
        return map.get(k);
      },
      () => map.size,
    );
    const size = 50_000;
    for (let i = 0; i < size; i++) {
      map.set(`k${i}`, i);
      order.added(`k${i}`, i);
    }
    lookups = 0;
    const ops = 200_000;
    for (let i = size; i < size + ops; i++) {
      const [oldest] = order.oldest()!;
      map.delete(oldest);
      map.set(`k${i}`, i);
      order.added(`k${i}`, i);
    }
    // One lookup per oldest() plus the compactions' (each at most the entries added since the last): a few per op,
    // not one per entry of the map (V8's own Map iteration skipped up to 25,000 holes per op here).
    expect(lookups).toBeLessThan(5 * ops);
    expect(order.oldest()?.[0]).toBe(`k${ops}`);
  });
});
