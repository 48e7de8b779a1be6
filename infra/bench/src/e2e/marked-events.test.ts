import { ShopperEvents } from '@telltale/faults/src/shopper-events';
import type { SegmentEvent } from '@telltale/traffic-generator';
import { MarkedEvents } from './marked-events';

describe('MarkedEvents on pre-encoded batches', () => {
  test('every markEvery-th event goes out as a marker user, now, under the messageId the callback is told', () => {
    const markers: Array<{ id: string; at: number; user: string }> = [];
    const source = new MarkedEvents(new ShopperEvents('mk-'), 'mk-', 25, (id, at, user) => markers.push({ id, at, user }));
    const before = Date.now();
    const events = [1, 2, 3].flatMap(() => (JSON.parse(source.nextEncoded!(50).body.toString('utf8')) as { batch: SegmentEvent[] }).batch);

    expect(markers).toHaveLength(6);
    const sent = events.filter((e) => e.anonymousId.startsWith('bench-marker-'));
    expect(sent.map((e) => e.messageId)).toEqual(markers.map((m) => m.id));
    expect(sent.map((e) => e.anonymousId)).toEqual(markers.map((m) => m.user));
    expect(sent.every((e, i) => Date.parse(e.timestamp) === markers[i]!.at && markers[i]!.at >= before)).toBe(true);
    expect(events.indexOf(sent[0]!)).toBe(24);
    expect(new Set(events.map((e) => e.messageId)).size).toBe(150);
  });

  test('a source without pre-encoded batches leaves the driver on the object path', () => {
    const shoppers = new ShopperEvents('obj-');
    expect(new MarkedEvents({ next: (n) => shoppers.next(n) }, 'obj-', 25, () => undefined).nextEncoded).toBeUndefined();
  });
});
