import { withRetry } from '@telltale/runtime';
import type { SegmentEvent } from './shopper-model';

/** The subset of a pino logger the generator uses, so callers can hand it any sink. */
export interface TrafficLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface SendOutcome {
  accepted: number;
  rejected: number;
  /** Events given up on after the last retry (collector down or always 5xx). */
  failed: number;
  retries: number;
}

export interface BatchSenderOptions {
  collectorUrl: string;
  /** The collector source's write key, sent as HTTP Basic auth; none in the collector's open development mode. */
  writeKey?: string;
  /** Attempts after the first for 5xx, 429 and network errors. @default 6 */
  retries?: number;
  /** @default 200 */
  initialDelayMs?: number;
  /** @default 5000 */
  maxDelayMs?: number;
  /** Per request. @default 10000 */
  timeoutMs?: number;
  /** Aborts waits and requests at shutdown. */
  signal?: AbortSignal;
  logger?: TrafficLogger;
  fetch?: typeof fetch;
}

class RetriableSendError extends Error {
  readonly retriable = true;
}

/**
 * Posts Segment batches to the collector. 5xx, 429 and network errors are retried with capped, jittered backoff and
 * the SAME messageIds, so a batch the collector did write before failing is de-duplicated downstream (the enricher
 * keys dedupe on messageId). A 4xx is final: the collector says which events it refused and why.
 */
export class BatchSender {
  private readonly url: string;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly opts: BatchSenderOptions) {
    this.url = new URL('/v1/batch', opts.collectorUrl).toString();
    this.fetchImpl = opts.fetch ?? fetch;
  }

  async send(events: SegmentEvent[]): Promise<SendOutcome> {
    let retries = 0;
    try {
      return await withRetry(
        async () => {
          const outcome = await this.post(events);
          return { ...outcome, retries };
        },
        {
          retries: this.opts.retries ?? 6,
          initialDelayMs: this.opts.initialDelayMs ?? 200,
          maxDelayMs: this.opts.maxDelayMs ?? 5_000,
          signal: this.opts.signal,
          shouldRetry: (err) => err instanceof RetriableSendError,
          onRetry: (err, attempt, delayMs) => {
            retries = attempt;
            this.opts.logger?.warn({ attempt, delayMs, events: events.length, err: (err as Error).message }, 'collector batch failed; retrying');
          },
        },
      );
    } catch (err) {
      this.opts.logger?.warn({ events: events.length, retries, err: (err as Error).message }, 'collector batch given up');
      return { accepted: 0, rejected: 0, failed: events.length, retries };
    }
  }

  private async post(events: SegmentEvent[]): Promise<Omit<SendOutcome, 'retries'>> {
    // sentAt is the time of THIS attempt: the enricher corrects device clock skew with receivedAt - sentAt.
    const body = JSON.stringify({ batch: events, sentAt: new Date().toISOString() });
    const timeout = AbortSignal.timeout(this.opts.timeoutMs ?? 10_000);
    let res: Response;
    try {
      res = await this.fetchImpl(this.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(this.opts.writeKey ? { authorization: `Basic ${Buffer.from(`${this.opts.writeKey}:`).toString('base64')}` } : {}),
        },
        body,
        signal: this.opts.signal ? AbortSignal.any([this.opts.signal, timeout]) : timeout,
      });
    } catch (err) {
      throw new RetriableSendError(`network: ${(err as Error).message}`);
    }
    const text = await res.text().catch(() => '');
    if (res.status >= 500 || res.status === 429) throw new RetriableSendError(`HTTP ${res.status}: ${text.slice(0, 200)}`);
    const answer = parseAnswer(text);
    if (res.ok) return { accepted: answer.accepted ?? events.length, rejected: 0, failed: 0 };
    const rejected = answer.rejected ?? events.length - (answer.accepted ?? 0);
    this.opts.logger?.warn({ status: res.status, events: events.length, rejected, answer: text.slice(0, 300) }, 'collector refused events');
    return { accepted: answer.accepted ?? 0, rejected, failed: 0 };
  }
}

function parseAnswer(text: string): { accepted?: number; rejected?: number } {
  try {
    const body = JSON.parse(text) as { accepted?: unknown; rejected?: unknown };
    return {
      accepted: typeof body.accepted === 'number' ? body.accepted : undefined,
      rejected: Array.isArray(body.rejected) ? body.rejected.length : undefined,
    };
  } catch {
    return {};
  }
}
