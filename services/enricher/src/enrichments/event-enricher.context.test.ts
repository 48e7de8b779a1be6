import type { RawEvent } from '@telltale/contracts';
import { EventEnricher, type EnrichmentResult } from '../event-enricher';

const T0 = Date.parse('2026-11-02T10:00:00.000Z');
const ANDROID_CHROME = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.81 Mobile Safari/537.36';

function enricher() {
  return new EventEnricher({
    sessionTimeoutMs: 30 * 60_000,
    latenessMs: 5 * 60_000,
    dedupeWindowMs: 24 * 3_600_000,
    dedupeCapacity: 1000,
    maxVisitors: 1000,
    maxFutureMs: 300_000,
    now: () => T0 + 1000,
  });
}

function page(messageId: string, context: Record<string, unknown>, overrides: Partial<RawEvent> = {}): RawEvent {
  return {
    messageId,
    type: 'page',
    event: null,
    userId: null,
    anonymousId: 'anon-1',
    timestamp: T0,
    sentAt: null,
    receivedAt: T0 + 50,
    properties: '{}',
    context: JSON.stringify(context),
    source: 'http',
    ...overrides,
  };
}

function enriched(result: EnrichmentResult): Extract<EnrichmentResult, { outcome: 'enriched' }> {
  if (result.outcome !== 'enriched') throw new Error(`expected enriched, got ${JSON.stringify(result)}`);
  return result;
}

describe('EventEnricher: context enrichments in the clean event, device type in the feature vector', () => {
  it('a phone landing from Instagram with UTM tags', () => {
    const url = 'https://shop.example.com/p/sku-1?utm_source=instagram&utm_medium=social&utm_campaign=drop-11';
    const { clean, features } = enriched(enricher().enrich(page('m-1', { userAgent: ANDROID_CHROME, page: { url, referrer: 'https://www.instagram.com/' } })));
    expect(clean).toMatchObject({
      userAgent: ANDROID_CHROME,
      browserName: 'Chrome',
      osName: 'Android',
      osVersion: '14',
      deviceType: 'mobile',
      isBot: false,
      utmSource: 'instagram',
      utmMedium: 'social',
      utmCampaign: 'drop-11',
      referrerClass: 'social',
      referrerHost: 'www.instagram.com',
    });
    expect(features!.features).toMatchObject({ device_mobile: 1, device_tablet: 0, session_events: 1 });
  });

  it('the landing referrer class stays with the session (durable visitor state), and a new session lands anew', () => {
    const e = enricher();
    const landing = 'https://shop.example.com/?utm_source=weekly&utm_medium=email';
    e.enrich(page('m-1', { userAgent: ANDROID_CHROME, page: { url: landing } }));
    const next = enriched(e.enrich(page('m-2', { userAgent: ANDROID_CHROME, page: { url: 'https://shop.example.com/c/shoes', referrer: landing } }, { timestamp: T0 + 5_000 })));
    expect(next.clean.referrerClass).toBe('internal');
    expect(next.features!.features).toMatchObject({ landing_email: 1, landing_search: 0, landing_social: 0, landing_other: 0, session_events: 2 });

    const later = T0 + 2 * 3_600_000;
    const nextVisit = enriched(e.enrich(page('m-3', { userAgent: ANDROID_CHROME, page: { url: 'https://shop.example.com/', referrer: 'https://www.bing.com/' } }, { timestamp: later, receivedAt: later })));
    expect(nextVisit.features!.features).toMatchObject({ landing_search: 1, landing_email: 0, session_events: 1, user_prior_sessions: 1 });
  });

  it('a server-side call before any page has no landing features; the first page sets them', () => {
    const e = enricher();
    const first = enriched(e.enrich(page('m-1', {}, { type: 'track', event: 'Product Clicked' })));
    expect(Object.keys(first.features!.features)).not.toContain('landing_search');
    const second = enriched(e.enrich(page('m-2', { page: { url: 'https://shop.example.com/' } }, { timestamp: T0 + 1_000 })));
    expect(second.features!.features).toMatchObject({ landing_search: 0, landing_social: 0, landing_email: 0, landing_other: 0 });
  });

  it('a crawler is kept and flagged; an event without a user agent has no device features', () => {
    const e = enricher();
    const bot = enriched(e.enrich(page('m-2', { userAgent: 'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)' }, { anonymousId: 'anon-bot' })));
    expect(bot.clean).toMatchObject({ isBot: true, deviceType: 'bot', browserName: 'BingCrawler' });
    expect(Object.keys(bot.features!.features)).not.toContain('device_mobile');
    const server = enriched(e.enrich(page('m-3', {}, { type: 'track', event: 'Product Clicked', userId: 'u-9', anonymousId: null })));
    expect(server.clean).toMatchObject({ userAgent: null, deviceType: null, isBot: false, referrerClass: null });
    expect(Object.keys(server.features!.features)).not.toContain('device_mobile');
  });
});
