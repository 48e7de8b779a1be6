import { createHash, createHmac } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';

/**
 * What the collector does to personal data before an event is written to Kafka (README "Privacy"): keyed hashing of
 * the ids, removal of personal traits and properties, the IP address dropped or truncated, and consent.
 * Everything here is pure: the server resolves the policy of a request's source and segment-event.ts applies it.
 */

/** What becomes of `context.ip`: removed (the default), cut to its /24 (IPv4) or /48 (IPv6) network, or kept. */
export const IP_MODES = ['drop', 'truncate', 'keep'] as const;
export type IpMode = (typeof IP_MODES)[number];

/** Prefix of every pseudonymised id: an id in events.raw that starts with it was hashed by the collector. */
export const PSEUDONYM_PREFIX = 'hmac1_';
/** Shortest secret accepted: 32 characters, so the key is not the weak part of HMAC-SHA256. */
export const MIN_PSEUDONYM_SECRET_LENGTH = 32;

/**
 * Keyed hashing of user ids: `hmac1_` + hex(HMAC-SHA256(secret, id)). The same id always gives the same pseudonym
 * under one secret, so identity stitching, sessions and profiles work on pseudonyms as they did on ids; without the
 * secret nobody can test a guessed id (an unkeyed hash of an email address can be reversed by trying addresses).
 * NOTE: a new secret gives every user a new pseudonym: continuity with the events before the change is lost.
 */
export class Pseudonymiser {
  // NOTE: an HMAC costs ~3 µs (two per event), and a visitor's ids repeat with every event: the recent ones are
  // remembered. Cleared when full rather than kept in LRU order: simpler, and a miss only costs the HMAC again.
  private readonly recent = new Map<string, string>();

  constructor(
    private readonly secret: string,
    private readonly remembered = 50_000,
  ) {
    if (secret.length < MIN_PSEUDONYM_SECRET_LENGTH) throw new Error(`pseudonymisation secret shorter than ${MIN_PSEUDONYM_SECRET_LENGTH} characters`);
  }

  id(value: string): string {
    let pseudonym = this.recent.get(value);
    if (pseudonym === undefined) {
      pseudonym = PSEUDONYM_PREFIX + createHmac('sha256', this.secret).update(value, 'utf8').digest('hex');
      if (this.recent.size >= this.remembered) this.recent.clear();
      this.recent.set(value, pseudonym);
    }
    return pseudonym;
  }
}

/** Keys of a traits object that hold the user's own id (Segment's `id` trait, and ids copied into traits). */
const ID_TRAITS = ['id', 'userId', 'anonymousId'] as const;

/**
 * The same traits with their id keys pseudonymised (strings and numbers, as the ids themselves may be numbers), so
 * that an id copied into the traits does not carry the raw id past the hashed userId.
 */
export function pseudonymiseTraitIds(traits: Record<string, unknown>, p: Pseudonymiser): Record<string, unknown> {
  let out = traits;
  for (const key of ID_TRAITS) {
    const value = traits[key];
    if (typeof value !== 'string' && typeof value !== 'number') continue;
    if (out === traits) out = { ...traits };
    out[key] = p.id(String(value));
  }
  return out;
}

/**
 * Which keys are removed before Kafka. Keys are compared without case and without anything but letters and digits,
 * so `firstName`, `first_name` and `First Name` are one key.
 * - `email`: that key at any depth of properties, traits and context.traits;
 * - `traits.name`: only within traits (identify's and group's, and context.traits), at any depth: a product's `name`
 *   in properties stays;
 * - `properties.a.b` or `context.a.b`: that one path from the event.
 */
export interface ScrubRules {
  anywhere: ReadonlySet<string>;
  traitsOnly: ReadonlySet<string>;
  paths: { root: 'properties' | 'context'; path: string[] }[];
}

/**
 * The default list (COLLECTOR_SCRUB_KEYS): the usual contact and identity traits of Segment's spec. NOTE: on by
 * default, like dropping the IP: nothing in the pipeline reads them (sessions, features and the model use ids,
 * products and prices), so storing them would only add personal data to keep safe and to delete.
 */
export const DEFAULT_SCRUB_KEYS = [
  'email',
  'phone',
  'mobile',
  'firstName',
  'lastName',
  'fullName',
  'traits.name',
  'traits.username',
  'address',
  'street',
  'postalCode',
  'birthday',
  'dateOfBirth',
  'ssn',
  'password',
] as const;

export const NO_SCRUB_RULES: ScrubRules = { anywhere: new Set(), traitsOnly: new Set(), paths: [] };

export function normaliseKey(key: string): string {
  return key.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** The rules of a COLLECTOR_SCRUB_KEYS list; `none` alone turns scrubbing off. Throws on an entry it cannot read. */
export function parseScrubKeys(entries: readonly string[]): ScrubRules {
  if (entries.length === 1 && entries[0] === 'none') return NO_SCRUB_RULES;
  const anywhere = new Set<string>();
  const traitsOnly = new Set<string>();
  const paths: ScrubRules['paths'] = [];
  for (const entry of entries) {
    const parts = entry.split('.').map(normaliseKey);
    if (parts.some((p) => p === '')) throw new Error(`scrub key ${JSON.stringify(entry)}: expected key, traits.key, properties.a.b or context.a.b`);
    const [head, ...rest] = parts as [string, ...string[]];
    if (rest.length === 0) anywhere.add(head);
    else if (head === 'traits' && rest.length === 1) traitsOnly.add(rest[0]!);
    else if (head === 'properties' || head === 'context') paths.push({ root: head, path: rest });
    else throw new Error(`scrub key ${JSON.stringify(entry)}: a path starts with properties. or context. (traits. takes one key)`);
  }
  return { anywhere, traitsOnly, paths };
}

/**
 * The value without the keys in `keys`, at any depth (arrays included). Copies only what changes: an event without
 * such keys costs one walk and no allocation. Recursion is bounded by JSON_LIMITS.maxDepth, checked before.
 */
export function withoutKeys<T>(value: T, keys: ReadonlySet<string>): T {
  if (keys.size === 0 || typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    let out: unknown[] | null = null;
    value.forEach((item, i) => {
      const next = withoutKeys(item, keys);
      if (next !== item) (out ??= [...value])[i] = next;
    });
    return (out ?? value) as T;
  }
  let out: Record<string, unknown> | null = null;
  for (const [key, child] of Object.entries(value)) {
    if (keys.has(normaliseKey(key))) {
      out ??= { ...(value as Record<string, unknown>) };
      delete out[key];
      continue;
    }
    const next = withoutKeys(child, keys);
    if (next !== child) (out ??= { ...(value as Record<string, unknown>) })[key] = next;
  }
  return (out ?? value) as T;
}

/** The object without the one path (keys compared as in normaliseKey), copied along the path only. */
export function withoutPath(value: Record<string, unknown>, path: readonly string[]): Record<string, unknown> {
  const [head, ...rest] = path;
  if (head === undefined) return value;
  let out: Record<string, unknown> | null = null;
  for (const [key, child] of Object.entries(value)) {
    if (normaliseKey(key) !== head) continue;
    if (rest.length === 0) {
      out ??= { ...value };
      delete out[key];
    } else if (typeof child === 'object' && child !== null && !Array.isArray(child)) {
      const next = withoutPath(child as Record<string, unknown>, rest);
      if (next !== child) (out ??= { ...value })[key] = next;
    }
  }
  return out ?? value;
}

/** An IP address cut to its network: IPv4 /24 (`203.0.113.0`), IPv6 /48 (`2001:db8:1::`); null for anything else. */
export function truncateIp(ip: unknown): string | null {
  if (typeof ip !== 'string') return null;
  const address = ip.trim();
  if (isIPv4(address)) return address.split('.').slice(0, 3).concat('0').join('.');
  if (!isIPv6(address)) return null;
  // An IPv4 address in IPv6 form (what a dual-stack socket reports) is an IPv4 address: cut as one.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return `::ffff:${truncateIp(mapped[1])}`;
  const groups = expandIpv6(address);
  return groups === null ? null : `${groups.slice(0, 3).map((g) => parseInt(g, 16).toString(16)).join(':')}::`;
}

/** The eight 16-bit groups of an IPv6 address (isIPv6 already said it is one). */
function expandIpv6(address: string): string[] | null {
  let text = address.replace(/%.*$/, '');
  // A trailing dotted IPv4 part counts as two groups.
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [left, right] = text.split('::') as [string, string | undefined];
  const head = left === '' ? [] : left.split(':');
  if (right === undefined) return head.length === 8 ? head : null;
  const tail = right === '' ? [] : right.split(':');
  return [...head, ...Array<string>(8 - head.length - tail.length).fill('0'), ...tail];
}

/** Consent a source requires (README "Consent"): every category in `categories` granted, else `mode`. */
export interface ConsentPolicy {
  /** Category ids as the consent management platform names them (Segment's categoryId), compared exactly. */
  categories: string[];
  /** refuse: the event is not written (counted); strip: written without ids, traits or IP. */
  mode: 'refuse' | 'strip';
}

/**
 * Whether the event's `context.consent.categoryPreferences` (what Segment's consent wrappers put on every event)
 * grants every required category. NOTE: an event without the consent object grants nothing: a source configured to
 * require consent must send it (Segment instead lets such events through unenforced).
 */
export function consentGranted(context: Record<string, unknown>, categories: readonly string[]): boolean {
  const consent = context.consent;
  if (typeof consent !== 'object' || consent === null) return categories.length === 0;
  const preferences = (consent as { categoryPreferences?: unknown }).categoryPreferences;
  if (typeof preferences !== 'object' || preferences === null || Array.isArray(preferences)) return categories.length === 0;
  return categories.every((c) => Object.prototype.hasOwnProperty.call(preferences, c) && (preferences as Record<string, unknown>)[c] === true);
}

/**
 * The anonymous id of an event stored without its identifiers: derived from its source and messageId, so a retried
 * event gets the same one (and is de-duplicated on the same partition), and no two events share one (nothing links
 * them to each other or to the person).
 */
export function unlinkedAnonymousId(source: string, messageId: string): string {
  return `noconsent_${createHash('sha256').update(`${source}\n${messageId}`).digest('hex').slice(0, 32)}`;
}
