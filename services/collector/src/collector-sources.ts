import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { IP_MODES, type ConsentPolicy, type IpMode } from './event-privacy';

/** A source: one tracker, site or app that sends events with its own write key. */
export interface Source {
  /** Travels with every event as RawEvent.source. */
  name: string;
  writeKey: string;
  /** Origins whose pages may send with this key; null: any origin the collector allows (COLLECTOR_CORS_ORIGINS). */
  corsOrigins: string[] | null;
  /** Keep context.ip for this source; null: the collector's COLLECTOR_KEEP_IP. */
  keepIp: boolean | null;
  /** Events per second and burst for this key; null: the collector's defaults. */
  rateLimit: { eventsPerSecond: number; burst: number } | null;
  /** What becomes of context.ip for this source; decides over keepIp. @default undefined: keepIp, else COLLECTOR_IP_MODE */
  ipMode?: IpMode | null;
  /** Consent this source's events need. @default undefined: COLLECTOR_CONSENT_CATEGORIES; null: none */
  consent?: ConsentPolicy | null;
}

/** The source of every event when no write key is configured (open development mode). */
export const OPEN_MODE_SOURCE = 'default';

const sourceName = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'expected 1-64 letters, digits, _ . -');
const writeKey = z.string().regex(/^[\x21-\x39\x3b-\x7e]{8,256}$/, 'expected 8-256 printable characters without ":" or spaces');

const sourcesFile = z.object({
  sources: z.array(
    z.object({
      name: sourceName,
      writeKey,
      corsOrigins: z.array(z.string().regex(/^https?:\/\/[^/\s]+$/, 'expected origins like https://shop.example')).optional(),
      keepIp: z.boolean().optional(),
      rateLimit: z.object({ eventsPerSecond: z.number().positive(), burst: z.number().int().positive() }).optional(),
      ipMode: z.enum(IP_MODES).optional(),
      consent: z
        .object({ categories: z.array(z.string().min(1).max(256)).min(1), mode: z.enum(['refuse', 'strip']).default('refuse') })
        .nullable()
        .optional(),
    }),
  ),
});

/** `writeKey:sourceName` pairs, comma-separated (COLLECTOR_WRITE_KEYS). */
export function parseWriteKeys(text: string): Source[] {
  return text
    .split(',')
    .map((pair) => pair.trim())
    .filter(Boolean)
    .map((pair) => {
      const colon = pair.lastIndexOf(':');
      const key = writeKey.safeParse(pair.slice(0, Math.max(colon, 0)));
      const name = sourceName.safeParse(pair.slice(colon + 1));
      if (colon < 0 || !key.success || !name.success) {
        // The key itself is a secret: name the pair by its source only.
        throw new Error(`COLLECTOR_WRITE_KEYS: expected writeKey:sourceName pairs (key 8-256 characters), got one for ${JSON.stringify(pair.slice(colon + 1))}`);
      }
      return { name: name.data, writeKey: key.data, corsOrigins: null, keepIp: null, rateLimit: null };
    });
}

/**
 * A JSON file `{"sources":[{name, writeKey, corsOrigins?, keepIp?, ipMode?, rateLimit?: {eventsPerSecond, burst},
 * consent?: {categories, mode?} | null}]}`.
 */
export function readSourcesFile(path: string): Source[] {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`COLLECTOR_SOURCES_FILE ${path}: ${(err as Error).message}`);
  }
  const parsed = sourcesFile.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`COLLECTOR_SOURCES_FILE ${path}: ${issue.path.join('.')}: ${issue.message}`);
  }
  return parsed.data.sources.map((s) => ({
    name: s.name,
    writeKey: s.writeKey,
    corsOrigins: s.corsOrigins ?? null,
    keepIp: s.keepIp ?? null,
    rateLimit: s.rateLimit ?? null,
    ...(s.ipMode !== undefined ? { ipMode: s.ipMode } : {}),
    ...(s.consent !== undefined ? { consent: s.consent } : {}),
  }));
}

/** Why a request is refused before its events are looked at. */
export interface AuthFailure {
  status: 401 | 403;
  error: string;
  field: string;
  reason: string;
}

/**
 * Finds the source of a request from its write key: HTTP Basic auth `base64(writeKey + ":")` as Segment's
 * libraries send it, else a `writeKey` field in the body. With no sources configured every request is accepted as
 * source `default` (open development mode).
 */
export class SourceRegistry {
  private readonly byKey = new Map<string, Source>();

  constructor(sources: Source[]) {
    for (const source of sources) {
      if (this.byKey.has(source.writeKey)) throw new Error(`write key of source ${source.name} is configured twice`);
      this.byKey.set(source.writeKey, source);
    }
  }

  get open(): boolean {
    return this.byKey.size === 0;
  }

  get sources(): Source[] {
    return [...this.byKey.values()];
  }

  authenticate(authorization: string | undefined, body: unknown): Source | AuthFailure {
    if (this.open) return { name: OPEN_MODE_SOURCE, writeKey: '', corsOrigins: null, keepIp: null, rateLimit: null };
    const key = writeKeyOf(authorization, body);
    if (key === null) {
      return { status: 401, error: 'unauthorized', field: 'writeKey', reason: 'send the write key as HTTP Basic auth (base64 of "writeKey:") or a writeKey field' };
    }
    return this.byKey.get(key) ?? { status: 401, error: 'unauthorized', field: 'writeKey', reason: 'unknown write key' };
  }

  /** A source's write key, by key: for the settings endpoint, which names the key in its path. */
  byWriteKey(key: string): Source | undefined {
    return this.byKey.get(key);
  }
}

function writeKeyOf(authorization: string | undefined, body: unknown): string | null {
  const basic = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(authorization ?? '');
  if (basic) {
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    // Segment's libraries send the key as the user name with an empty password.
    const key = colon < 0 ? decoded : decoded.slice(0, colon);
    if (key) return key;
  }
  const field = (body as { writeKey?: unknown } | null)?.writeKey;
  return typeof field === 'string' && field !== '' ? field : null;
}
