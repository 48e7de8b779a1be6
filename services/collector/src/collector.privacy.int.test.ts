import { parseMetricsText, sumOf } from '@telltale/runtime';
import { readTopicUntil } from '@telltale/testing';
import { startTestCollector, type TestCollector } from './collector.test-harness';
import { DEFAULT_SCRUB_KEYS, parseScrubKeys, Pseudonymiser } from './event-privacy';

const p = new Pseudonymiser('int-test-secret-0123456789abcdef012345');

describe('collector privacy against a real broker', () => {
  let collector: TestCollector;
  beforeAll(async () => {
    collector = await startTestCollector('privacy', {
      privacy: { pseudonymiser: p, scrub: parseScrubKeys([...DEFAULT_SCRUB_KEYS]), ipMode: 'truncate', consent: { categories: ['Analytics'], mode: 'refuse' } },
    });
  });
  afterAll(() => collector?.close());

  it('writes pseudonyms, never the raw ids, traits or IP, to events.raw and events.dlq; refuses and counts what lacks consent', async () => {
    const granted = { consent: { categoryPreferences: { Analytics: true } } };
    const res = await fetch(`${collector.url}/v1/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        context: granted,
        batch: [
          { type: 'identify', anonymousId: 'raw-anon-1', userId: 'raw-user-1', messageId: 'i-1', traits: { email: 'raw@example.com', firstName: 'Raw' }, context: { ...granted, ip: '198.51.100.77' } },
          { type: 'alias', userId: 'raw-user-1', previousId: 'raw-anon-2', messageId: 'i-2' },
          // Invalid (a track without its name): dead-lettered, hashed all the same.
          { type: 'track', anonymousId: 'raw-anon-1', userId: 'raw-user-1', messageId: 'i-3', traits: { phone: '+1 555 0100' } },
          { type: 'page', anonymousId: 'raw-anon-refused', messageId: 'i-4', context: { consent: { categoryPreferences: { Analytics: false } } } },
        ],
      }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ accepted: 2, refusedForConsent: 1, rejected: [{ index: 2, messageId: 'i-3' }] });

    // Sorted: the two events are keyed to different partitions.
    const raw = (await readTopicUntil(collector.kafka, collector.topics.rawEvents, (r) => r.length >= 2)).sort((a, b) => a.value.messageId.localeCompare(b.value.messageId));
    const dlq = await readTopicUntil(collector.kafka, collector.topics.deadLetters, (r) => r.length >= 1);
    expect(raw.map((r) => [r.key, r.value.messageId, r.value.userId, r.value.anonymousId])).toEqual([
      [p.id('raw-anon-1'), 'i-1', p.id('raw-user-1'), p.id('raw-anon-1')],
      [p.id('raw-anon-2'), 'i-2', p.id('raw-user-1'), null],
    ]);
    expect(JSON.parse(raw[1]!.value.properties)).toEqual({ previousId: p.id('raw-anon-2') });
    expect(JSON.parse(raw[0]!.value.context)).toMatchObject({ ip: '198.51.100.0' });
    expect(dlq.map((d) => JSON.parse(d.value.payload.toString()) as unknown)).toEqual([
      { type: 'track', anonymousId: p.id('raw-anon-1'), userId: p.id('raw-user-1'), messageId: 'i-3', traits: {} },
    ]);
    const stored = JSON.stringify(raw) + dlq.map((d) => d.value.payload.toString()).join();
    for (const secret of ['raw-anon', 'raw-user', 'raw@example.com', '"Raw"', '+1 555', '198.51.100.77', 'i-4']) expect(stored).not.toContain(secret);

    const metrics = parseMetricsText(await (await fetch(`${collector.url}/metrics`)).text());
    expect(sumOf(metrics, 'telltale_collector_events_without_consent_total', { action: 'refused' })).toBe(1);
  });
});
