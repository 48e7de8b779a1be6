import type { EncodedBatch } from '@telltale/faults/src/encoded-events';
import type { EventSource } from '@telltale/faults/src/shopper-events';
import type { SegmentEvent } from '@telltale/traffic-generator';

// The load side of event → queryable: which events are markers. QueryableProbe (pipeline-probes.ts) waits for them.

/**
 * Marker users: a few of the events are sent as theirs, so a poll can find them through the events table's primary
 * key (user_key first) instead of scanning the whole table while the pipeline is under load.
 */
const MARKER_USERS = Array.from({ length: 24 }, (_, i) => `bench-marker-${i}`);

/**
 * The events of `inner` with every `markEvery`-th one sent as a marker: a shopper event under a marker user,
 * timestamped now. The markers' arrival in ClickHouse is what event → queryable is measured on. On the pre-encoded
 * path a marker keeps its own messageId (`<idPrefix><sequence>`, unique in the run): only its visitor and timestamp
 * are rewritten in the body.
 */
export class MarkedEvents implements EventSource {
  /** Present when `inner` has pre-encoded batches (the driver takes that path when it is there). */
  readonly nextEncoded?: (count: number) => EncodedBatch;
  private sinceMarker = 0;
  private markers = 0;

  constructor(
    private readonly inner: EventSource,
    private readonly idPrefix: string,
    private readonly markEvery: number,
    private readonly onMarker: (messageId: string, sentAtMs: number, user: string) => void,
  ) {
    const encoded = inner.nextEncoded?.bind(inner);
    if (encoded) this.nextEncoded = (count) => this.markEncoded(encoded(count));
  }

  next(count: number): SegmentEvent[] {
    const events = this.inner.next(count);
    const now = Date.now();
    for (let i = 0; i < events.length; i++) {
      if (++this.sinceMarker < this.markEvery) continue;
      this.sinceMarker = 0;
      const base = events[i]!;
      const messageId = `${this.idPrefix}m${++this.markers}`;
      const user = MARKER_USERS[this.markers % MARKER_USERS.length]!;
      events[i] = { ...base, messageId, anonymousId: user, userId: undefined, timestamp: new Date(now).toISOString() };
      this.onMarker(messageId, now, user);
    }
    return events;
  }

  private markEncoded(batch: EncodedBatch): EncodedBatch {
    const now = Date.now();
    for (let i = 0; i < batch.count; i++) {
      if (++this.sinceMarker < this.markEvery) continue;
      this.sinceMarker = 0;
      const user = MARKER_USERS[++this.markers % MARKER_USERS.length]!;
      batch.setVisitor(i, user, now);
      this.onMarker(batch.messageId(i), now, user);
    }
    return batch;
  }
}
