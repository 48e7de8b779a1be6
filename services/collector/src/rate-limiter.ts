/** Token buckets, one per write key: `eventsPerSecond` refill, at most `burst` tokens, an event costs one. */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  /**
   * Takes `events` tokens from `key`'s bucket, or none: null when allowed, else the seconds after which the same
   * request would be. NOTE: a batch larger than the burst costs the whole burst (and is allowed when the bucket is
   * full), so a client whose batches exceed the burst is slowed, never locked out.
   */
  take(key: string, events: number, limit: { eventsPerSecond: number; burst: number }): number | null {
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: limit.burst, at: now };
    bucket.tokens = Math.min(limit.burst, bucket.tokens + ((now - bucket.at) / 1000) * limit.eventsPerSecond);
    bucket.at = now;
    this.buckets.set(key, bucket);
    const cost = Math.min(events, limit.burst);
    if (bucket.tokens >= cost) {
      bucket.tokens -= cost;
      return null;
    }
    return Math.max(1, Math.ceil((cost - bucket.tokens) / limit.eventsPerSecond));
  }
}
