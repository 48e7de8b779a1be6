/** Who may read: read keys by their value, and a token bucket of requests per key. */
export class ReadKeys {
  private readonly byKey: Map<string, string>;
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    keys: Array<{ key: string; name: string }>,
    private readonly limit: { perSecond: number; burst: number },
    private readonly now: () => number = () => performance.now(),
  ) {
    this.byKey = new Map(keys.map((k) => [k.key, k.name]));
  }

  /**
   * The key holder's name, from `Authorization: Bearer <key>` or HTTP Basic with the key as user name (as the
   * collector takes write keys, so the same tools work); undefined when absent or unknown.
   */
  authenticate(authorization: string | undefined): string | undefined {
    const header = authorization ?? '';
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (bearer) return this.byKey.get(bearer[1]!);
    const basic = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header);
    if (!basic) return undefined;
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return this.byKey.get(colon < 0 ? decoded : decoded.slice(0, colon));
  }

  /** Takes one request from `name`'s bucket: null when allowed, else the seconds after which one would be. */
  take(name: string): number | null {
    const now = this.now();
    const bucket = this.buckets.get(name) ?? { tokens: this.limit.burst, at: now };
    bucket.tokens = Math.min(this.limit.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.limit.perSecond);
    bucket.at = now;
    this.buckets.set(name, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return null;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.limit.perSecond));
  }
}
