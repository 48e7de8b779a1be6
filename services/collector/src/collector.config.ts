import { commonEnv, ConfigError, env, loadConfig } from '@telltale/runtime';
import { z } from 'zod';
import { DEFAULT_SCRUB_KEYS, IP_MODES, MIN_PSEUDONYM_SECRET_LENGTH, parseScrubKeys, type ConsentPolicy } from './event-privacy';

export const collectorEnv = {
  ...commonEnv,
  /** HTTP port for /v1/batch, /healthz and /metrics. @default 8080 */
  PORT: env.port(8080),
  /** @default 0.0.0.0 */
  HOST: env.string('0.0.0.0'),
  /** Largest accepted request body, bytes (Segment's batch limit is 500 KB). @default 524288 */
  COLLECTOR_MAX_BODY_BYTES: env.int(512 * 1024, 1024),
  /** Most events in one batch. @default 500 */
  COLLECTOR_MAX_BATCH_EVENTS: env.int(500, 1),
  /** How long the producer holds records so concurrent requests share a produce request. @default 5 */
  COLLECTOR_LINGER_MS: env.int(5),
  /**
   * Origins whose pages may send events (CORS), comma-separated, or * for any: browser trackers post cross-origin.
   * @default *
   */
  COLLECTOR_CORS_ORIGINS: env.list('*', (o) => o === '*' || /^https?:\/\/[^/\s]+$/.test(o), 'expected * or origins like https://shop.example'),
  /**
   * Sources and their write keys: comma-separated `writeKey:sourceName` pairs. With neither this nor
   * COLLECTOR_SOURCES_FILE set, the collector runs in open development mode (no key needed, source `default`).
   */
  COLLECTOR_WRITE_KEYS: env.optionalString(),
  /** A JSON file of sources with per-source settings (CORS origins, IP policy, rate limit); see the README. */
  COLLECTOR_SOURCES_FILE: env.optionalString(),
  /**
   * Events per second each write key may send, sustained. NOTE: about what the whole pipeline keeps up with on 2 cores
   * (`pnpm bench e2e`), so one busy site meets the pipeline's own limit before this one, while a runaway client of one
   * key cannot take more than that from the others (README "Write keys and rate limits"). @default 5000
   */
  COLLECTOR_RATE_LIMIT_EVENTS_PER_S: env.int(5000, 1),
  /** Events a write key may send at once above the sustained rate (the token bucket's size): 10 s of it. @default 50000 */
  COLLECTOR_RATE_LIMIT_BURST: env.int(50_000, 1),
  /** Keep context.ip as sent by the client; off by default so no IP address is stored. @default false */
  COLLECTOR_KEEP_IP: env.boolean(false),
  /**
   * context.ip: `drop`, `truncate` (IPv4 /24, IPv6 /48) or `keep`; a source's ipMode or keepIp decides over it.
   * @default drop (keep when COLLECTOR_KEEP_IP=true)
   */
  COLLECTOR_IP_MODE: z.enum(IP_MODES).optional(),
  /**
   * Secret of the keyed hash (HMAC-SHA256) of userId, anonymousId, alias previousId and id traits, applied before
   * Kafka; at least 32 characters. Changing it gives every user a new pseudonym. @default unset: ids stored as sent
   */
  COLLECTOR_PSEUDONYMISE_SECRET: z
    .string()
    .min(MIN_PSEUDONYM_SECRET_LENGTH, `at least ${MIN_PSEUDONYM_SECRET_LENGTH} characters (e.g. openssl rand -hex 32)`)
    .optional(),
  /**
   * Trait and property keys removed before Kafka, comma-separated: `key` (any depth of properties and traits),
   * `traits.key` (traits only), `properties.a.b` / `context.a.b` (one path); case, `_`, `-` and spaces ignored.
   * `none`: remove nothing. @default the contact and identity traits of DEFAULT_SCRUB_KEYS
   */
  COLLECTOR_SCRUB_KEYS: z
    .string()
    .default(DEFAULT_SCRUB_KEYS.join(','))
    .transform((s, ctx) => {
      try {
        return parseScrubKeys(s.split(',').map((k) => k.trim()).filter(Boolean));
      } catch (err) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: (err as Error).message });
        return z.NEVER;
      }
    }),
  /**
   * Consent categories every event must grant in context.consent.categoryPreferences (comma-separated category ids),
   * for sources that set none of their own. @default unset: no consent required
   */
  COLLECTOR_CONSENT_CATEGORIES: z
    .string()
    .transform((s) => s.split(',').map((c) => c.trim()).filter(Boolean))
    .refine((list) => list.length > 0 && list.every((c) => c.length <= 256), 'expected category ids, comma-separated')
    .optional(),
  /** What happens to an event without that consent: `refuse` (not written, counted) or `strip` (written without ids). @default refuse */
  COLLECTOR_CONSENT_MODE: z.enum(['refuse', 'strip']).default('refuse'),
  /** PEM certificate (chain) file: with COLLECTOR_TLS_KEY_FILE, the collector serves HTTPS only. @default unset: plain HTTP */
  COLLECTOR_TLS_CERT_FILE: env.optionalString(),
  /** PEM private key file of COLLECTOR_TLS_CERT_FILE. @default unset */
  COLLECTOR_TLS_KEY_FILE: env.optionalString(),
};

export type CollectorConfig = ReturnType<typeof loadCollectorConfig>;

export function loadCollectorConfig(vars: NodeJS.ProcessEnv = process.env) {
  const config = loadConfig(collectorEnv, vars);
  if (config.COLLECTOR_KEEP_IP && config.COLLECTOR_IP_MODE !== undefined && config.COLLECTOR_IP_MODE !== 'keep') {
    throw new ConfigError([`COLLECTOR_KEEP_IP=true contradicts COLLECTOR_IP_MODE=${config.COLLECTOR_IP_MODE}: set only COLLECTOR_IP_MODE`]);
  }
  return {
    ...config,
    /** context.ip for sources without their own policy. */
    ipMode: config.COLLECTOR_IP_MODE ?? (config.COLLECTOR_KEEP_IP ? ('keep' as const) : ('drop' as const)),
    consent: config.COLLECTOR_CONSENT_CATEGORIES ? ({ categories: config.COLLECTOR_CONSENT_CATEGORIES, mode: config.COLLECTOR_CONSENT_MODE } satisfies ConsentPolicy) : null,
  };
}
