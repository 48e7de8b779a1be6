import type { RawEvent } from '@telltale/contracts';

/** When the enricher tests' events happen (a Wednesday, 10:00 UTC). */
export const T0 = Date.parse('2024-05-01T10:00:00.000Z');

/** A raw event as the collector writes it: a click by `userId` at T0, received 10 ms later. */
export function rawEvent(messageId: string, userId: string, overrides: Partial<RawEvent> = {}): RawEvent {
  return {
    messageId,
    type: 'track',
    event: 'Product Clicked',
    userId,
    anonymousId: null,
    timestamp: T0,
    sentAt: null,
    receivedAt: T0 + 10,
    properties: '{}',
    context: '{}',
    source: 'http',
    ...overrides,
  };
}
