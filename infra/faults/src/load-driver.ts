import type { SegmentEvent } from '@telltale/traffic-generator';
import type { EventSource } from './shopper-events';
import { sleep, withDeadline } from './stack-processes';

export interface LoadDriverOptions {
  collectorUrl: string;
  source: EventSource;
  /** Events per request. @default 50 */
  batchSize?: number;
  /** Requests in flight at once, i.e. connections. @default 16 */
  connections?: number;
  /** Target rate, events/s. @default as fast as the collector answers */
  eventsPerSecond?: number;
  /** Stop generating after this many events (those in flight are still delivered). @default unlimited */
  maxEvents?: number;
  /** One attempt's limit; a slower answer is retried like a network error. @default 30000 */
  requestTimeoutMs?: number;
}

export interface LoadStats {
  /** Events handed to requests. */
  generated: number;
  /** Events the collector answered 200 for: the only ones the pipeline owes us. */
  acknowledged: number;
  /** Events answered with a 4xx (never retried; a valid generator produces none). */
  rejected: number;
  /** Events still unanswered when stop() gave up on them. */
  abandoned: number;
  requests: number;
  /** Attempts after the first, all with the same messageIds. */
  retries: number;
  /** Attempts by answer: "200", "503", "network", "timeout", ... */
  answers: Record<string, number>;
  /** The first refusals, for the report. */
  refusals: string[];
  /** From the first request to the last 200. */
  durationMs: number;
}

type Answer = { kind: 'acknowledged' } | { kind: 'refused'; label: string; detail: string } | { kind: 'retry'; label: string; retryAfterMs?: number };

/**
 * Posts Segment batches to the collector the way a well-behaved SDK does, and remembers exactly which events were
 * acknowledged. A 5xx, 429, timeout or network error is retried with the SAME batch (same messageIds) until it is
 * answered or stop() gives up: the pipeline owes us every 200'd event once, and de-duplicates the retries.
 * Rate control: with eventsPerSecond, batches leave on a schedule; without, as fast as `connections` requests are
 * answered.
 */
export class LoadDriver {
  /** messageIds answered with 200. */
  readonly acknowledged = new Set<string>();
  private readonly url: string;
  private readonly batchSize: number;
  private readonly connections: number;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly giveUp = new AbortController();
  private readonly givenUp = new Promise<void>((resolve) => this.giveUp.signal.addEventListener('abort', () => resolve(), { once: true }));
  private readonly counts = { generated: 0, rejected: 0, abandoned: 0, requests: 0, retries: 0 };
  private readonly answers: Record<string, number> = {};
  private readonly refusals: string[] = [];
  private startedAt = 0;
  private lastAckAt = 0;
  private stopping = false;
  private requestStop!: () => void;
  private readonly stopRequested = new Promise<void>((resolve) => (this.requestStop = resolve));
  private pump: Promise<void> | undefined;

  constructor(private readonly opts: LoadDriverOptions) {
    this.url = new URL('/v1/batch', opts.collectorUrl).toString();
    this.batchSize = opts.batchSize ?? 50;
    this.connections = opts.connections ?? 16;
  }

  start(): this {
    this.startedAt = Date.now();
    this.pump ??= this.run();
    return this;
  }

  stats(): LoadStats {
    return {
      ...this.counts,
      acknowledged: this.acknowledged.size,
      answers: { ...this.answers },
      refusals: [...this.refusals],
      durationMs: Math.max(0, (this.lastAckAt || Date.now()) - this.startedAt),
    };
  }

  /** Until `count` events are acknowledged; false at the deadline. */
  async waitForAcknowledged(count: number, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.acknowledged.size < count) {
      if (Date.now() > deadline) return false;
      await sleep(100);
    }
    return true;
  }

  /** With maxEvents: until every event was generated and answered; false at the deadline. */
  async drained(timeoutMs: number): Promise<boolean> {
    const done = (async () => {
      await this.pump;
      while (this.inFlight.size > 0) await Promise.race(this.inFlight);
      return true;
    })();
    return (await withDeadline(done, timeoutMs)) ?? false;
  }

  /**
   * Stops generating, then keeps retrying what is in flight until answered or `deadlineMs` passes; what is still
   * unanswered then is abandoned (never counted as acknowledged). Safe to call twice.
   */
  async stop(deadlineMs: number): Promise<LoadStats> {
    this.stopping = true;
    this.requestStop();
    await this.pump;
    if (this.inFlight.size > 0) {
      await withDeadline(Promise.allSettled([...this.inFlight]), deadlineMs);
      this.giveUp.abort();
      await Promise.allSettled([...this.inFlight]);
    }
    return this.stats();
  }

  private async run(): Promise<void> {
    const rate = this.opts.eventsPerSecond;
    const max = this.opts.maxEvents ?? Infinity;
    let scheduleStart = Date.now();
    let scheduled = 0;
    while (!this.stopping && this.counts.generated < max) {
      if (this.inFlight.size >= this.connections) {
        await Promise.race([...this.inFlight, this.stopRequested]);
        continue;
      }
      if (rate !== undefined) {
        const dueAt = scheduleStart + (scheduled * 1000) / rate;
        const now = Date.now();
        if (dueAt > now) {
          await Promise.race([sleep(dueAt - now), this.stopRequested]);
          continue;
        }
        // NOTE: after a stall (every connection busy retrying) the schedule restarts instead of firing the whole
        // backlog at once: the steady scenarios measure faults under a steady rate, not a catch-up burst.
        if (now - dueAt > 1_000) {
          scheduleStart = now;
          scheduled = 0;
        }
      }
      const batch = this.opts.source.next(Math.min(this.batchSize, max - this.counts.generated));
      this.counts.generated += batch.length;
      scheduled += batch.length;
      const delivery: Promise<void> = this.deliver(batch).finally(() => this.inFlight.delete(delivery));
      this.inFlight.add(delivery);
    }
  }

  private async deliver(batch: SegmentEvent[]): Promise<void> {
    for (let attempt = 0; !this.giveUp.signal.aborted; attempt++) {
      if (attempt > 0) this.counts.retries += 1;
      this.counts.requests += 1;
      const answer = await this.post(batch);
      if (answer.kind === 'acknowledged') {
        this.count('200');
        for (const event of batch) this.acknowledged.add(event.messageId);
        this.lastAckAt = Date.now();
        return;
      }
      this.count(answer.label);
      if (answer.kind === 'refused') {
        this.counts.rejected += batch.length;
        if (this.refusals.length < 5) this.refusals.push(`${answer.label}: ${answer.detail}`);
        return;
      }
      // Capped exponential backoff with full jitter; a Retry-After from the collector wins.
      const backoffMs = answer.retryAfterMs ?? Math.random() * Math.min(2_000, 100 * 2 ** attempt);
      await Promise.race([sleep(backoffMs), this.givenUp]);
    }
    this.counts.abandoned += batch.length;
  }

  private async post(batch: SegmentEvent[]): Promise<Answer> {
    const timeout = AbortSignal.timeout(this.opts.requestTimeoutMs ?? 30_000);
    try {
      const res = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        // sentAt is this attempt's time: the enricher corrects device clock skew with receivedAt - sentAt.
        body: JSON.stringify({ batch, sentAt: new Date().toISOString() }),
        signal: AbortSignal.any([timeout, this.giveUp.signal]),
      });
      const text = await res.text();
      if (res.status === 200) return { kind: 'acknowledged' };
      if (res.status >= 500 || res.status === 429) {
        const retryAfterS = Number(res.headers.get('retry-after'));
        return { kind: 'retry', label: String(res.status), retryAfterMs: retryAfterS > 0 ? Math.min(retryAfterS, 5) * 1000 : undefined };
      }
      return { kind: 'refused', label: String(res.status), detail: text.slice(0, 300) };
    } catch {
      return { kind: 'retry', label: timeout.aborted ? 'timeout' : 'network' };
    }
  }

  private count(label: string): void {
    this.answers[label] = (this.answers[label] ?? 0) + 1;
  }
}
