import http from 'node:http';
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

/** One batch as the driver posts it, whichever way its source builds it. */
interface Outgoing {
  count: number;
  /** The request body of an attempt sent at `atMs`. */
  body(atMs: number): Buffer;
  messageIds(): Iterable<string>;
}

type Answer = { kind: 'acknowledged' } | { kind: 'refused'; label: string; detail: string } | { kind: 'retry'; label: string; retryAfterMs?: number };

/**
 * Posts Segment batches to the collector the way a well-behaved SDK does, and remembers exactly which events were
 * acknowledged. A 5xx, 429, timeout or network error is retried with the SAME batch (same messageIds) until it is
 * answered or stop() gives up: the pipeline owes us every 200'd event once, and de-duplicates the retries.
 * Rate control: with eventsPerSecond, batches leave on a schedule; without, as fast as `connections` requests are
 * answered.
 * NOTE: the driver runs on the cores of the pipeline it loads, so it is built to cost little per event: bodies come
 * pre-encoded from sources that offer `nextEncoded` (ShopperEvents does), and requests go through node:http on
 * kept-alive connections (fetch's streams and Request/Response objects were most of what remained).
 */
export class LoadDriver {
  /** messageIds answered with 200. */
  readonly acknowledged = new Set<string>();
  private readonly url: URL;
  private readonly agent: http.Agent;
  private readonly batchSize: number;
  private readonly connections: number;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly giveUp = new AbortController();
  private readonly givenUp = new Promise<void>((resolve) => this.giveUp.signal.addEventListener('abort', () => resolve(), { once: true }));
  /** Requests on the wire: destroyed when stop() gives up (one abort listener for all, not one per request). */
  private readonly requests = new Set<http.ClientRequest>();
  private readonly counts = { generated: 0, rejected: 0, abandoned: 0, requests: 0, retries: 0 };
  private readonly answers: Record<string, number> = {};
  private readonly refusals: string[] = [];
  private startedAt = 0;
  private lastAckAt = 0;
  private stopping = false;
  /** Ends the pump's current pause early: stop() and every answered delivery call it. */
  private wake: (() => void) | undefined;
  private pump: Promise<void> | undefined;

  constructor(private readonly opts: LoadDriverOptions) {
    this.url = new URL('/v1/batch', opts.collectorUrl);
    this.batchSize = opts.batchSize ?? 50;
    this.connections = opts.connections ?? 16;
    this.agent = new http.Agent({ keepAlive: true, maxSockets: this.connections });
    this.giveUp.signal.addEventListener('abort', () => {
      for (const req of this.requests) req.destroy();
    });
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
    this.wake?.();
    await this.pump;
    if (this.inFlight.size > 0) {
      await withDeadline(Promise.allSettled([...this.inFlight]), deadlineMs);
      this.giveUp.abort();
      await Promise.allSettled([...this.inFlight]);
    }
    this.agent.destroy();
    return this.stats();
  }

  private async run(): Promise<void> {
    const rate = this.opts.eventsPerSecond;
    const max = this.opts.maxEvents ?? Infinity;
    let scheduleStart = Date.now();
    let scheduled = 0;
    while (!this.stopping && this.counts.generated < max) {
      if (this.inFlight.size >= this.connections) {
        await this.pause();
        continue;
      }
      if (rate !== undefined) {
        const dueAt = scheduleStart + (scheduled * 1000) / rate;
        const now = Date.now();
        if (dueAt > now) {
          await this.pause(dueAt - now);
          continue;
        }
        // NOTE: after a stall (every connection busy retrying) the schedule restarts instead of firing the whole
        // backlog at once: the steady scenarios measure faults under a steady rate, not a catch-up burst.
        if (now - dueAt > 1_000) {
          scheduleStart = now;
          scheduled = 0;
        }
      }
      const batch = this.take(Math.min(this.batchSize, max - this.counts.generated));
      this.counts.generated += batch.count;
      scheduled += batch.count;
      const delivery: Promise<void> = this.deliver(batch).finally(() => {
        this.inFlight.delete(delivery);
        // Only a pump waiting for a free connection needs to know; one sleeping until the next batch is due does not.
        if (this.inFlight.size === this.connections - 1) this.wake?.();
      });
      this.inFlight.add(delivery);
    }
  }

  /**
   * Until `ms` pass (without: until woken), or a delivery ends, or stop(). NOTE: one timer and one promise per pause;
   * racing every in-flight promise and a never-settling stop promise attached a reaction to each, per batch.
   */
  private pause(ms?: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(() => this.wake?.(), ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }

  private take(count: number): Outgoing {
    const source = this.opts.source;
    if (source.nextEncoded) {
      const encoded = source.nextEncoded(count);
      return {
        count: encoded.count,
        body: (atMs) => {
          encoded.stampSentAt(atMs);
          return encoded.body;
        },
        messageIds: () => encoded.messageIds(),
      };
    }
    const events = source.next(count);
    return {
      count: events.length,
      body: (atMs) => Buffer.from(JSON.stringify({ batch: events, sentAt: new Date(atMs).toISOString() })),
      messageIds: () => events.map((e) => e.messageId),
    };
  }

  private async deliver(batch: Outgoing): Promise<void> {
    for (let attempt = 0; !this.giveUp.signal.aborted; attempt++) {
      if (attempt > 0) this.counts.retries += 1;
      this.counts.requests += 1;
      const answer = await this.post(batch);
      if (answer.kind === 'acknowledged') {
        this.count('200');
        for (const id of batch.messageIds()) this.acknowledged.add(id);
        this.lastAckAt = Date.now();
        return;
      }
      this.count(answer.label);
      if (answer.kind === 'refused') {
        this.counts.rejected += batch.count;
        if (this.refusals.length < 5) this.refusals.push(`${answer.label}: ${answer.detail}`);
        return;
      }
      // Capped exponential backoff with full jitter; a Retry-After from the collector wins.
      const backoffMs = answer.retryAfterMs ?? Math.random() * Math.min(2_000, 100 * 2 ** attempt);
      await Promise.race([sleep(backoffMs), this.givenUp]);
    }
    this.counts.abandoned += batch.count;
  }

  private post(batch: Outgoing): Promise<Answer> {
    // sentAt is this attempt's time: the enricher corrects device clock skew with receivedAt - sentAt.
    const body = batch.body(Date.now());
    return new Promise<Answer>((resolve) => {
      let answered = false;
      let timedOut = false;
      const done = (answer: Answer) => {
        if (answered) return;
        answered = true;
        clearTimeout(timer);
        this.requests.delete(req);
        resolve(answer);
      };
      const failed = () => done({ kind: 'retry', label: timedOut ? 'timeout' : 'network' });
      const req = http.request(
        this.url,
        { method: 'POST', agent: this.agent, headers: { 'content-type': 'application/json', 'content-length': body.length } },
        (res) => {
          const status = res.statusCode ?? 0;
          res.once('error', failed);
          if (status === 200) {
            // The answer's body says nothing the status does not: read and dropped, so the connection is reused.
            res.resume();
            res.once('end', () => done({ kind: 'acknowledged' }));
            return;
          }
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.once('end', () => {
            if (status >= 500 || status === 429) {
              const retryAfterS = Number(res.headers['retry-after']);
              done({ kind: 'retry', label: String(status), retryAfterMs: retryAfterS > 0 ? Math.min(retryAfterS, 5) * 1000 : undefined });
            } else {
              done({ kind: 'refused', label: String(status), detail: Buffer.concat(chunks).toString('utf8').slice(0, 300) });
            }
          });
        },
      );
      // One attempt's limit, answer included; a slower one is retried like a network error.
      const timer = setTimeout(() => {
        timedOut = true;
        req.destroy(new Error('request timed out'));
      }, this.opts.requestTimeoutMs ?? 30_000);
      req.once('error', failed);
      if (this.giveUp.signal.aborted) req.destroy();
      else this.requests.add(req);
      req.end(body);
    });
  }

  private count(label: string): void {
    this.answers[label] = (this.answers[label] ?? 0) + 1;
  }
}
