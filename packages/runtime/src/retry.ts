/** Errors that may succeed when tried again (network, broker or server overload) carry retriable = true. */
export function isRetriable(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { retriable?: unknown }).retriable === true;
}

export interface RetryOptions {
  retries: number;
  initialDelayMs: number;
  maxDelayMs: number;
  /** Called before each wait; for logs and metrics. */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  /** Decides which errors are worth another try. @default every error */
  shouldRetry?: (err: unknown) => boolean;
  /** Stops retrying early, e.g. when the service is shutting down; an AbortSignal also cuts the current wait short. */
  signal?: { aborted: boolean } | AbortSignal;
}

/** Capped exponential backoff with full jitter. */
export async function withRetry<T>(fn: () => Promise<T>, opts: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const retry = attempt <= opts.retries && !opts.signal?.aborted && (opts.shouldRetry?.(err) ?? true);
      if (!retry) throw err;
      const cap = Math.min(opts.maxDelayMs, opts.initialDelayMs * 2 ** (attempt - 1));
      const delayMs = Math.round(Math.random() * cap);
      opts.onRetry?.(err, attempt, delayMs);
      await sleep(delayMs, opts.signal);
    }
  }
}

function sleep(ms: number, signal: RetryOptions['signal']): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    const abortable = signal instanceof AbortSignal ? signal : undefined;
    abortable?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      abortable?.removeEventListener('abort', done);
      resolve();
    }
  });
}
