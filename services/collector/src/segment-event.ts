import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { userKeyOf, type RawEvent } from '@telltale/contracts';

// The Segment spec's common fields (https://segment.com/docs/connections/spec/common/), as analytics.js and the
// server SDKs send them. Unknown top-level fields are ignored, as Segment does.
const id = z.union([z.string().trim().min(1).max(256), z.number().finite()]).transform(String);
const timestamp = z
  .union([z.string(), z.number()])
  .transform((v, ctx) => {
    const ms = typeof v === 'number' ? v : Date.parse(v);
    if (!Number.isFinite(ms)) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'expected an ISO 8601 date-time or epoch milliseconds' });
      return z.NEVER;
    }
    return ms;
  });
const jsonObject = z.record(z.unknown());

const segmentEvent = z
  .object({
    type: z.enum(['track', 'page', 'screen', 'identify'], {
      errorMap: () => ({ message: 'expected one of track, page, screen, identify' }),
    }),
    event: z.string().trim().min(1).max(256).optional(),
    name: z.string().trim().min(1).max(256).optional(),
    userId: id.nullish(),
    anonymousId: id.nullish(),
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
}

export interface NormaliseOptions {
  receivedAt: number;
  keepIp: boolean;
  /** Batch-level fields applied to every event that lacks them (Segment semantics). */
  batchSentAt?: number;
  batchContext?: Record<string, unknown>;
}

/** Validates each event on its own: one bad event never costs the good ones around it. */
export function validateEvents(items: unknown[], opts: NormaliseOptions): ValidatedBatch {
  const events: RawEvent[] = [];
  const rejected: EventRejection[] = [];
  items.forEach((item, index) => {
    const parsed = segmentEvent.safeParse(item);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const messageId = typeof (item as { messageId?: unknown })?.messageId === 'string' ? (item as { messageId: string }).messageId : null;
      rejected.push({ index, messageId, field: issue.path.join('.') || '(event)', reason: issue.message });
      return;
    }
    events.push(toRawEvent(parsed.data, opts));
  });
  return { events, rejected };
}

function toRawEvent(e: z.infer<typeof segmentEvent>, opts: NormaliseOptions): RawEvent {
  const context: Record<string, unknown> = { ...opts.batchContext, ...e.context };
  // Privacy: IP addresses are personal data; keep them only when the operator asked for it.
  if (!opts.keepIp) delete context.ip;
  const properties = e.type === 'identify' ? { ...e.traits, ...e.properties } : (e.properties ?? {});
  return {
    messageId: e.messageId ?? randomUUID(),
    type: e.type,
    event: e.event ?? e.name ?? null,
    userId: e.userId ?? null,
    anonymousId: e.anonymousId ?? null,
    timestamp: e.timestamp ?? opts.receivedAt,
    sentAt: e.sentAt ?? opts.batchSentAt ?? null,
    receivedAt: opts.receivedAt,
    properties: JSON.stringify(properties),
    context: JSON.stringify(context),
    source: 'http',
  };
}

/** Partition key: one user's events stay ordered on one partition. */
export function partitionKeyOf(e: RawEvent): string {
  return userKeyOf(e) ?? e.messageId;
}
