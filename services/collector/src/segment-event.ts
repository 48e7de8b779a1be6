import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { RawEvent } from '@telltale/contracts';
import {
  consentGranted,
  pseudonymiseTraitIds,
  truncateIp,
  unlinkedAnonymousId,
  withoutKeys,
  withoutPath,
  type ConsentPolicy,
  type IpMode,
  type Pseudonymiser,
  type ScrubRules,
} from './event-privacy';

// The Segment spec's common fields (https://segment.com/docs/connections/spec/common/), as analytics.js and the
// server SDKs send them. Unknown top-level fields are ignored, as Segment does.
const id = z.union([z.string().trim().min(1).max(256), z.number().finite()]).transform(String);
// The range of a JS Date (±100,000,000 days): beyond it no date exists, and Avro's long would refuse the value at
// produce time, which would turn a bad client clock into a 503.
const MAX_TIMESTAMP_MS = 8.64e15;
const timestamp = z
  .union([z.string().max(64), z.number()])
  .transform((v, ctx) => {
    const ms = typeof v === 'number' ? v : Date.parse(v);
    if (!Number.isFinite(ms) || Math.abs(ms) > MAX_TIMESTAMP_MS) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'expected an ISO 8601 date-time or epoch milliseconds' });
      return z.NEVER;
    }
    return Math.round(ms);
  });

/** Limits on free-form JSON (properties, traits, context): what no tracker sends, and what would cost us a stack. */
export const JSON_LIMITS = {
  /** Objects and arrays nested deeper than this are refused. */
  maxDepth: 32,
  /** Longest string value or key, in UTF-16 code units: Segment refuses whole events over 32 KB. */
  maxStringLength: 32 * 1024,
} as const;

// TRICKY: an iterative walk, because the point is to refuse values that would overflow the stack of a recursive
// one (JSON.stringify included) before anything else touches them.
const jsonObject = z.record(z.unknown()).superRefine((value, ctx) => {
  const problem = jsonShapeProblem(value);
  if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, path: problem.path, message: problem.reason });
});

function jsonShapeProblem(root: Record<string, unknown>): { path: (string | number)[]; reason: string } | null {
  const stack: { value: unknown; path: (string | number)[] }[] = [{ value: root, path: [] }];
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (typeof value === 'string') {
      if (value.length > JSON_LIMITS.maxStringLength) {
        return { path, reason: `string longer than ${JSON_LIMITS.maxStringLength} characters (${value.length})` };
      }
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    if (path.length >= JSON_LIMITS.maxDepth) {
      return { path, reason: `nested deeper than ${JSON_LIMITS.maxDepth} levels` };
    }
    for (const [key, child] of Object.entries(value)) {
      if (key.length > JSON_LIMITS.maxStringLength) {
        return { path, reason: `key longer than ${JSON_LIMITS.maxStringLength} characters (${key.length})` };
      }
      stack.push({ value: child, path: [...path, Array.isArray(value) ? Number(key) : key] });
    }
  }
  return null;
}

/** The Segment calls (https://segment.com/docs/connections/spec/). */
export const SEGMENT_CALL_TYPES = ['track', 'page', 'screen', 'identify', 'group', 'alias'] as const;

export const segmentEvent = z
  .object({
    type: z.enum(SEGMENT_CALL_TYPES, {
      errorMap: () => ({ message: `expected one of ${SEGMENT_CALL_TYPES.join(', ')}` }),
    }),
    event: z.string().trim().min(1).max(256).optional(),
    name: z.string().trim().min(1).max(256).optional(),
    userId: id.nullish(),
    anonymousId: id.nullish(),
    groupId: id.optional(),
    previousId: id.optional(),
    messageId: z.string().trim().min(1).max(256).optional(),
    timestamp: timestamp.optional(),
    sentAt: timestamp.optional(),
    properties: jsonObject.optional(),
    traits: jsonObject.optional(),
    context: jsonObject.optional(),
  })
  .superRefine((e, ctx) => {
    if (e.userId == null && e.anonymousId == null) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['userId'], message: 'userId or anonymousId is required' });
    }
    if (e.type === 'track' && !e.event) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['event'], message: 'required for track events' });
    }
    if (e.type === 'group' && e.groupId === undefined) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['groupId'], message: 'required for group calls' });
    }
    if (e.type === 'alias' && e.previousId === undefined) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['previousId'], message: 'required for alias calls' });
    }
  });

export const batchEnvelope = z.object({
  batch: z.array(z.unknown(), { required_error: 'required', invalid_type_error: 'expected an array of events' }),
  sentAt: timestamp.optional(),
  context: jsonObject.optional(),
});

export interface EventRejection {
  index: number;
  messageId: string | null;
  field: string;
  reason: string;
}

export interface ValidatedBatch {
  events: RawEvent[];
  rejected: EventRejection[];
  /** Items whose consent did not grant the source's categories and that were not written (mode refuse, or strip for identify, group and alias). */
  refusedForConsent: { index: number; messageId: string | null }[];
  /** Events written without their identifiers for want of consent (mode strip). */
  strippedForConsent: number;
  /** Indexes of items that must never be dead-lettered (invalid, or too large for Kafka): their consent was not granted. */
  notDeadLettered: Set<number>;
}

/** What a source's events go through before Kafka (README "Privacy"); resolved per source by the server. */
export interface EventPrivacy {
  ipMode: IpMode;
  scrub: ScrubRules;
  /** null: ids are written as sent. */
  pseudonymiser: Pseudonymiser | null;
  /** null: no consent required. */
  consent: ConsentPolicy | null;
}

export interface NormaliseOptions {
  receivedAt: number;
  keepIp: boolean;
  /** Privacy rules; when given, its ipMode decides over keepIp. @default IP per keepIp, nothing else changed */
  privacy?: EventPrivacy;
  /** The name of the source whose write key the request carried (RawEvent.source). */
  source: string;
  /** Batch-level fields applied to every event that lacks them (Segment semantics). */
  batchSentAt?: number;
  batchContext?: Record<string, unknown>;
}

/** Validates each event on its own: one bad event never costs the good ones around it. */
export function validateEvents(items: unknown[], opts: NormaliseOptions): ValidatedBatch {
  const batch: ValidatedBatch = { events: [], rejected: [], refusedForConsent: [], strippedForConsent: 0, notDeadLettered: new Set() };
  const consent = opts.privacy?.consent ?? null;
  items.forEach((item, index) => {
    // Consent first, on the context as sent: an event the person did not consent to is neither stored nor
    // dead-lettered, valid or not.
    const granted = consent === null || consentGranted({ ...opts.batchContext, ...contextOf(item) }, consent.categories);
    if (!granted && (consent!.mode === 'refuse' || !STRIPPABLE.has((item as { type?: unknown } | null)?.type))) {
      batch.refusedForConsent.push({ index, messageId: messageIdOf(item) });
      return;
    }
    // The common case (a well-formed event) skips zod, which costs ~10× more per event; anything the fast check is
    // not sure of goes through zod, so every refusal still carries zod's field and reason.
    let valid: SegmentEventFields | undefined = plainValidEvent(item);
    if (valid === undefined) {
      const parsed = segmentEvent.safeParse(item);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        batch.rejected.push({ index, messageId: messageIdOf(item), field: fieldName(issue.path), reason: issue.message });
        if (!granted) batch.notDeadLettered.add(index);
        return;
      }
      valid = parsed.data;
    }
    if (!granted) {
      batch.strippedForConsent++;
      batch.notDeadLettered.add(index);
    }
    batch.events.push(toRawEvent(valid, opts, !granted));
  });
  return batch;
}

/** Calls that only link ids (identify, group, alias) have nothing left once their ids are stripped: refused instead. */
const STRIPPABLE = new Set<unknown>(['track', 'page', 'screen']);

function contextOf(item: unknown): Record<string, unknown> {
  const context = (item as { context?: unknown } | null)?.context;
  return typeof context === 'object' && context !== null && !Array.isArray(context) ? (context as Record<string, unknown>) : {};
}

function messageIdOf(item: unknown): string | null {
  const sentId = (item as { messageId?: unknown } | null)?.messageId;
  return typeof sentId === 'string' ? sentId.slice(0, 256) : null;
}

type SegmentEventFields = z.infer<typeof segmentEvent>;

/**
 * The event as zod would parse it, when it is plainly valid; undefined when zod must decide (it may be valid all the
 * same: a case this check does not cover is only slower). Mirrors `segmentEvent`: trimmed strings of 1..256
 * characters, ids as strings, timestamps as epoch ms, JSON objects within JSON_LIMITS, the calls' required fields.
 * TRICKY: it must never accept what zod refuses, nor differ in the output; segment-event.test.ts compares the two on
 * valid and invalid events alike.
 */
export function plainValidEvent(item: unknown): SegmentEventFields | undefined {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return undefined;
  const e = item as Record<string, unknown>;
  const type = e.type;
  if (typeof type !== 'string' || !(SEGMENT_CALL_TYPES as readonly string[]).includes(type)) return undefined;
  const out: Record<string, unknown> = { type };
  for (const key of ['event', 'name', 'messageId'] as const) {
    const v = e[key];
    if (v === undefined) continue;
    const text = boundedText(v);
    if (text === undefined) return undefined;
    out[key] = text;
  }
  for (const key of ['userId', 'anonymousId', 'groupId', 'previousId'] as const) {
    const v = e[key];
    if (v === undefined) continue;
    if (v === null) {
      // nullish for the user ids; groupId and previousId are optional but not nullable
      if (key === 'groupId' || key === 'previousId') return undefined;
      out[key] = null;
      continue;
    }
    const text = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : undefined) : boundedText(v);
    if (text === undefined) return undefined;
    out[key] = text;
  }
  for (const key of ['timestamp', 'sentAt'] as const) {
    const v = e[key];
    if (v === undefined) continue;
    const ms = typeof v === 'number' ? v : typeof v === 'string' && v.length <= 64 ? Date.parse(v) : NaN;
    if (!Number.isFinite(ms) || Math.abs(ms) > MAX_TIMESTAMP_MS) return undefined;
    out[key] = Math.round(ms);
  }
  for (const key of ['properties', 'traits', 'context'] as const) {
    const v = e[key];
    if (v === undefined) continue;
    if (!isPlainJsonObject(v)) return undefined;
    out[key] = v;
  }
  if (out.userId == null && out.anonymousId == null) return undefined;
  if (type === 'track' && !out.event) return undefined;
  if (type === 'group' && out.groupId === undefined) return undefined;
  if (type === 'alias' && out.previousId === undefined) return undefined;
  return out as SegmentEventFields;
}

/** A string that is 1..256 characters once trimmed (zod's trim().min(1).max(256)), trimmed; else undefined. */
function boundedText(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const text = v.trim();
  return text.length >= 1 && text.length <= 256 ? text : undefined;
}

/**
 * An object (not an array) within JSON_LIMITS, without a `__proto__` key of its own (zod's copy of the record would
 * treat that one differently). Walks without building paths: only zod's slower walk names the offending field.
 */
function isPlainJsonObject(root: unknown): boolean {
  if (typeof root !== 'object' || root === null || Array.isArray(root) || Object.prototype.hasOwnProperty.call(root, '__proto__')) return false;
  const values: unknown[] = [root];
  const depths: number[] = [0];
  while (values.length > 0) {
    const value = values.pop();
    const depth = depths.pop()!;
    if (typeof value === 'string') {
      if (value.length > JSON_LIMITS.maxStringLength) return false;
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= JSON_LIMITS.maxDepth) return false;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        values.push(value[i]);
        depths.push(depth + 1);
      }
      continue;
    }
    for (const key in value) {
      if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
      if (key.length > JSON_LIMITS.maxStringLength) return false;
      values.push((value as Record<string, unknown>)[key]);
      depths.push(depth + 1);
    }
  }
  return true;
}

function toRawEvent(e: SegmentEventFields, opts: NormaliseOptions, stripIds = false): RawEvent {
  const privacy = opts.privacy;
  let context: Record<string, unknown> = { ...opts.batchContext, ...e.context };
  // Privacy: IP addresses are personal data; keep them (whole or cut to the network) only when the operator asked.
  const ipMode = stripIds ? 'drop' : (privacy?.ipMode ?? (opts.keepIp ? 'keep' : 'drop'));
  if (ipMode === 'drop') delete context.ip;
  else if (ipMode === 'truncate' && 'ip' in context) {
    const network = truncateIp(context.ip);
    if (network === null) delete context.ip;
    else context.ip = network;
  }
  let traits = e.traits;
  let eventProperties = e.properties;
  if (privacy) {
    const { scrub } = privacy;
    // Traits are scrubbed by both lists; properties only by the keys meant anywhere (a product's name stays).
    const traitKeys = scrub.traitsOnly.size === 0 ? scrub.anywhere : new Set([...scrub.anywhere, ...scrub.traitsOnly]);
    if (traits) traits = withoutKeys(traits, traitKeys);
    if (eventProperties) eventProperties = withoutKeys(eventProperties, scrub.anywhere);
    if (isObject(context.traits)) context = { ...context, traits: withoutKeys(context.traits, traitKeys) };
  }
  if (stripIds) delete context.traits;
  const p = stripIds ? null : (privacy?.pseudonymiser ?? null);
  if (p && isObject(context.traits)) context.traits = pseudonymiseTraitIds(context.traits, p);
  // identify and group carry traits; group and alias their id links, which RawEvent has no field for.
  let properties: Record<string, unknown> =
    e.type === 'identify'
      ? { ...traits, ...eventProperties }
      : e.type === 'group'
        ? { ...traits, ...eventProperties, groupId: e.groupId }
        : e.type === 'alias'
          ? { ...eventProperties, previousId: p && e.previousId !== undefined ? p.id(e.previousId) : e.previousId }
          : (eventProperties ?? {});
  // An identify's traits describe the user: an id among them is the user's id, and is hashed like it.
  if (p && e.type === 'identify') properties = pseudonymiseTraitIds(properties, p);
  for (const { root, path } of privacy?.scrub.paths ?? []) {
    if (root === 'properties') properties = withoutPath(properties, path);
    else context = withoutPath(context, path);
  }
  const messageId = e.messageId ?? randomUUID();
  const id = (value: string | null | undefined) => (value == null ? null : p ? p.id(value) : value);
  return {
    messageId,
    type: e.type,
    event: e.event ?? e.name ?? null,
    userId: stripIds ? null : id(e.userId),
    anonymousId: stripIds ? unlinkedAnonymousId(opts.source, messageId) : id(e.anonymousId),
    timestamp: e.timestamp ?? opts.receivedAt,
    sentAt: e.sentAt ?? opts.batchSentAt ?? null,
    receivedAt: opts.receivedAt,
    properties: JSON.stringify(properties),
    context: JSON.stringify(context),
    source: opts.source,
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A refused item as it may be dead-lettered: with its ids hashed, its scrubbed keys and its IP removed, as the event
 * would have been written. Best effort on what could not be read as an event: only the Segment fields are known.
 * Items nested too deep to walk come back as null (their dead letter carries the reason only).
 */
export function redactedItem(item: unknown, privacy: EventPrivacy | undefined): unknown {
  if (!privacy || !isObject(item)) return item;
  try {
    const p = privacy.pseudonymiser;
    const keys = new Set([...privacy.scrub.anywhere, ...privacy.scrub.traitsOnly]);
    const out: Record<string, unknown> = withoutKeys({ ...item }, keys);
    for (const field of ['userId', 'anonymousId', 'previousId'] as const) {
      const value = out[field];
      if (p && (typeof value === 'string' || typeof value === 'number')) out[field] = p.id(String(value).trim());
    }
    if (p && isObject(out.traits)) out.traits = pseudonymiseTraitIds(out.traits, p);
    if (p && isObject(out.context) && isObject(out.context.traits)) out.context = { ...out.context, traits: pseudonymiseTraitIds(out.context.traits, p) };
    if (isObject(out.context) && privacy.ipMode !== 'keep') {
      const { ip: _ip, ...context } = out.context;
      out.context = context;
    }
    return out;
  } catch {
    return null;
  }
}

/** A zod issue's path as a field name; a path through keys nobody could read is cut short. */
export function fieldName(path: (string | number)[]): string {
  const name = path.join('.');
  return name.length <= 200 ? name || '(event)' : `${name.slice(0, 200)}…`;
}

/**
 * Partition key: the visitor, so one visitor's events stay ordered on one partition, where the enricher keeps its
 * state. NOTE: the anonymousId comes first (not the userId): a visitor's anonymous events and those after login
 * (which carry both ids) then reach the same partition, so the enricher sees the identify in order and keeps one
 * session. An alias call goes where the id it links (previousId) lives. Events with neither id are keyed by messageId.
 */
export function partitionKeyOf(e: RawEvent): string {
  if (e.type === 'alias') {
    const previousId = previousIdOf(e.properties);
    if (previousId) return previousId;
  }
  return e.anonymousId ?? e.userId ?? e.messageId;
}

function previousIdOf(properties: string): string | null {
  try {
    const value = (JSON.parse(properties) as { previousId?: unknown }).previousId;
    return typeof value === 'string' && value !== '' ? value : null;
  } catch {
    return null;
  }
}
