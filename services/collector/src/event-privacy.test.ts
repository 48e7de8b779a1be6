import { consentGranted, DEFAULT_SCRUB_KEYS, parseScrubKeys, PSEUDONYM_PREFIX, Pseudonymiser, truncateIp, unlinkedAnonymousId, withoutKeys, withoutPath } from './event-privacy';
import { validateEvents, type EventPrivacy } from './segment-event';

const SECRET = 'a-test-secret-of-at-least-32-characters';
const receivedAt = Date.parse('2026-11-29T10:00:00Z');

describe('Pseudonymiser', () => {
  it('gives a prefixed HMAC-SHA256 in hex, the same for the same id, another under another secret', () => {
    const p = new Pseudonymiser(SECRET);
    // RFC 2104 HMAC with this key and message, computed independently: `printf %s u-42 | openssl dgst -sha256 -hmac "$SECRET"`
    expect(p.id('u-42')).toBe(`${PSEUDONYM_PREFIX}e38a4874e99230e257bda7c1e5a340ea82722d240f8f9dc683b01d2770910b06`);
    expect(p.id('u-42')).toBe(p.id('u-42'));
    expect(p.id('u-42')).not.toBe(p.id('u-43'));
    expect(new Pseudonymiser(`${SECRET}!`).id('u-42')).not.toBe(p.id('u-42'));
  });

  it('gives the same pseudonym after its memory of recent ids was cleared', () => {
    const p = new Pseudonymiser(SECRET, 2);
    const first = p.id('a');
    for (const id of ['b', 'c', 'd']) p.id(id);
    expect(p.id('a')).toBe(first);
    expect(p.id('a')).toBe(new Pseudonymiser(SECRET).id('a'));
  });

  it('refuses a short secret', () => {
    expect(() => new Pseudonymiser('short')).toThrow(/32 characters/);
  });
});

describe('scrub rules', () => {
  it('matches keys without case or separators, at any depth, and copies only what changes', () => {
    const rules = parseScrubKeys(['email', 'firstName']);
    const kept = { productId: 'p1', nested: { a: [1, 2] } };
    expect(withoutKeys(kept, rules.anywhere)).toBe(kept);
    expect(withoutKeys({ EMAIL: 'a@b', first_name: 'Kim', 'First Name': 'K', x: [{ Email: 'c@d', y: 1 }], keep: 1 }, rules.anywhere)).toEqual({ x: [{ y: 1 }], keep: 1 });
  });

  it('reads traits-only keys and paths, and refuses what it cannot read', () => {
    const rules = parseScrubKeys(['traits.name', 'context.device.name', 'properties.shipping.street']);
    expect(rules.traitsOnly).toEqual(new Set(['name']));
    expect(rules.paths).toEqual([
      { root: 'context', path: ['device', 'name'] },
      { root: 'properties', path: ['shipping', 'street'] },
    ]);
    expect(withoutPath({ device: { name: 'Kim’s phone', model: 'x' }, os: { name: 'iOS' } }, ['device', 'name'])).toEqual({ device: { model: 'x' }, os: { name: 'iOS' } });
    expect(() => parseScrubKeys(['page.url'])).toThrow(/starts with properties\. or context\./);
    expect(() => parseScrubKeys(['email..x'])).toThrow(/expected key/);
    expect(parseScrubKeys(['none'])).toEqual({ anywhere: new Set(), traitsOnly: new Set(), paths: [] });
  });
});

describe('truncateIp', () => {
  it.each([
    ['203.0.113.77', '203.0.113.0'],
    ['2001:db8:85a3:8d3:1319:8a2e:370:7348', '2001:db8:85a3::'],
    ['2001:db8::1', '2001:db8:0::'],
    ['::ffff:198.51.100.23', '::ffff:198.51.100.0'],
    ['::1', '0:0:0::'],
    ['not an ip', null],
    [42, null],
  ])('%s -> %s', (ip, network) => {
    expect(truncateIp(ip)).toBe(network);
  });
});

describe('consentGranted', () => {
  // Segment's consent object, as its consent wrappers put it on every event (context.consent.categoryPreferences).
  const context = { consent: { categoryPreferences: { Advertising: true, Analytics: false, Functional: true, DataSharing: false } } };
  it('needs every required category set to true', () => {
    expect(consentGranted(context, ['Functional'])).toBe(true);
    expect(consentGranted(context, ['Functional', 'Advertising'])).toBe(true);
    expect(consentGranted(context, ['Analytics'])).toBe(false);
    expect(consentGranted(context, ['analytics'])).toBe(false);
    expect(consentGranted(context, ['Personalization'])).toBe(false);
  });
  it('grants nothing without the consent object', () => {
    expect(consentGranted({}, ['Functional'])).toBe(false);
    expect(consentGranted({ consent: {} }, ['Functional'])).toBe(false);
    expect(consentGranted({ consent: { categoryPreferences: { Functional: 'yes' } } }, ['Functional'])).toBe(false);
  });
});

describe('validateEvents with privacy', () => {
  const p = new Pseudonymiser(SECRET);
  const privacy: EventPrivacy = { ipMode: 'truncate', scrub: parseScrubKeys([...DEFAULT_SCRUB_KEYS]), pseudonymiser: p, consent: null };
  const opts = { receivedAt, keepIp: false, source: 'web', privacy };

  it('hashes userId, anonymousId, previousId and id traits alike, so the links still meet', () => {
    const { events } = validateEvents(
      [
        { type: 'page', anonymousId: 'anon-1', messageId: 'm1', context: { ip: '203.0.113.9', traits: { id: 'u-42', email: 'kim@example.com' } } },
        { type: 'identify', anonymousId: 'anon-1', userId: 'u-42', messageId: 'm2', traits: { id: 'u-42', name: 'Kim', email: 'kim@example.com', plan: 'pro' } },
        { type: 'alias', userId: 'u-42', previousId: 'anon-1', messageId: 'm3' },
        { type: 'track', event: 'Product Added', userId: 42, messageId: 'm4', properties: { productId: 'p1', name: 'Red shoe', price: 5, email: 'kim@example.com' } },
      ],
      opts,
    );
    const [page, identify, alias, track] = events;
    expect(page).toMatchObject({ anonymousId: p.id('anon-1'), userId: null });
    expect(JSON.parse(page!.context)).toEqual({ ip: '203.0.113.0', traits: { id: p.id('u-42') } });
    expect(identify).toMatchObject({ anonymousId: p.id('anon-1'), userId: p.id('u-42') });
    expect(JSON.parse(identify!.properties)).toEqual({ id: p.id('u-42'), plan: 'pro' });
    expect(alias).toMatchObject({ userId: p.id('u-42') });
    expect(JSON.parse(alias!.properties)).toEqual({ previousId: p.id('anon-1') });
    expect(track).toMatchObject({ userId: p.id('42') });
    // A product's name is not a person's: `name` is scrubbed from traits only.
    expect(JSON.parse(track!.properties)).toEqual({ productId: 'p1', name: 'Red shoe', price: 5 });
    const written = JSON.stringify(events);
    for (const raw of ['anon-1', 'u-42', 'kim@example.com', 'Kim"', '203.0.113.9']) expect(written).not.toContain(raw);
  });

  it('refuses or strips events whose consent lacks a required category, and never dead-letters them', () => {
    const consented = { consent: { categoryPreferences: { Analytics: true } } };
    const refused = { consent: { categoryPreferences: { Analytics: false } } };
    const items = [
      { type: 'track', event: 'A', userId: 'u-1', messageId: 'ok', context: consented },
      { type: 'track', event: 'B', userId: 'u-1', messageId: 'no', context: refused },
      { type: 'track', userId: 'u-1', messageId: 'no-and-invalid', context: refused },
      { type: 'identify', userId: 'u-1', anonymousId: 'a-1', messageId: 'no-identify', context: refused },
    ];
    const refuse = validateEvents(items, { ...opts, privacy: { ...privacy, consent: { categories: ['Analytics'], mode: 'refuse' } } });
    expect(refuse.events.map((e) => e.messageId)).toEqual(['ok']);
    expect(refuse.refusedForConsent.map((r) => r.messageId)).toEqual(['no', 'no-and-invalid', 'no-identify']);
    expect(refuse.rejected).toEqual([]);

    const strip = validateEvents(items, { ...opts, privacy: { ...privacy, consent: { categories: ['Analytics'], mode: 'strip' } } });
    expect(strip.events.map((e) => e.messageId)).toEqual(['ok', 'no']);
    expect(strip.events[1]).toMatchObject({ userId: null, anonymousId: unlinkedAnonymousId('web', 'no') });
    expect(strip.strippedForConsent).toBe(1);
    expect(strip.refusedForConsent.map((r) => r.messageId)).toEqual(['no-identify']);
    expect(strip.rejected.map((r) => r.messageId)).toEqual(['no-and-invalid']);
    expect([...strip.notDeadLettered].sort()).toEqual([1, 2]);
  });

  it('refuses items that are no events at all for want of consent, without looking further', () => {
    for (const mode of ['refuse', 'strip'] as const) {
      const batch = validateEvents([null, 7, 'x', []], { ...opts, privacy: { ...privacy, consent: { categories: ['Analytics'], mode } } });
      expect(batch.refusedForConsent.map((r) => r.index)).toEqual([0, 1, 2, 3]);
    }
  });

  it('takes the consent from the batch context when the event has none', () => {
    const batch = validateEvents([{ type: 'page', anonymousId: 'a', messageId: 'm' }], {
      ...opts,
      batchContext: { consent: { categoryPreferences: { Analytics: true } } },
      privacy: { ...privacy, consent: { categories: ['Analytics'], mode: 'refuse' } },
    });
    expect(batch.events).toHaveLength(1);
  });
});
