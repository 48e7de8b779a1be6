import type { RawEvent } from '@telltale/contracts';
import { CleaningFailure, normaliseEvent, orderValueOf } from './event-cleaner';

const T0 = Date.parse('2026-11-29T10:00:00.000Z');

function orderCompleted(properties: Record<string, unknown>): RawEvent {
  return {
    messageId: 'm-1',
    type: 'track',
    event: 'Order Completed',
    userId: 'u-1',
    anonymousId: null,
    timestamp: T0,
    sentAt: null,
    receivedAt: T0,
    properties: JSON.stringify(properties),
    context: '{}',
    source: 'http',
  };
}

describe('order value of a purchase (Segment e-commerce spec)', () => {
  it.each([
    ['revenue', { revenue: 25, total: 30, products: [{ price: 1 }] }, 25],
    ['total when no revenue', { total: '30.5', products: [{ price: 1 }] }, 30.5],
    ['the sum of products[].price × quantity when neither', { products: [{ price: 10, quantity: 2 }, { price: '2.5' }, { sku: 'no-price' }, 'junk'] }, 22.5],
    ['null when no amount at all', { product_id: 'sku-1', price: 9.99 }, null],
    ['null for products without prices', { products: [{ sku: 'a' }] }, null],
    ['0 for a free order', { revenue: 0 }, 0],
  ])('%s', (_, properties, expected) => {
    expect(orderValueOf(properties)).toBe(expected);
  });

  it.each([
    [{ revenue: 'lots' }, 'properties.revenue'],
    [{ total: -3 }, 'properties.total'],
    [{ products: [{ price: 1 }, { price: 'x' }] }, 'properties.products[1].price'],
    [{ products: [{ price: 1, quantity: -1 }] }, 'properties.products[0].quantity'],
  ])('refuses an amount that is present but not one: %j', (properties, field) => {
    expect(orderValueOf(properties)).toEqual(expect.objectContaining({ field }));
    expect(orderValueOf(properties)).toBeInstanceOf(CleaningFailure);
  });

  it('keeps a purchase without any amount (as Segment’s Node library sends it), revenue null', () => {
    const clean = normaliseEvent(orderCompleted({ product_id: 'sku-1', price: 9.99, quantity: 1 }), { maxFutureMs: 0 });
    expect(clean).toMatchObject({ kind: 'purchase', revenue: null, productId: 'sku-1', price: 9.99 });
  });

  it('keeps products[] in the properties', () => {
    const products = [{ product_id: 'a', price: 3, quantity: 2 }];
    const clean = normaliseEvent(orderCompleted({ products }), { maxFutureMs: 0 });
    expect(clean).toMatchObject({ kind: 'purchase', revenue: 6, properties: { products } });
  });
});

describe('group and alias calls', () => {
  it.each(['group', 'alias'] as const)('a %s call is a clean identify event named after it, with its ids kept', (type) => {
    const raw = { ...orderCompleted({ groupId: 'acme', previousId: 'anon-1' }), type, event: null };
    expect(normaliseEvent(raw, { maxFutureMs: 0 })).toMatchObject({ type: 'identify', kind: 'identify', event: type, properties: { groupId: 'acme', previousId: 'anon-1' } });
  });
});
