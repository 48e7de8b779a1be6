import { z } from 'zod';

// What each query takes, as zod schemas shared by every door: the HTTP service validates query strings with them
// (a 400 names the field), the CLI its flags, the live view its fixed values. Values reach ClickHouse only as query
// parameters; the few parts of the SQL text that vary (how many funnel steps, which dimension, which period) are
// chosen from the fixed sets below, never taken from the caller.

const DAY_MS = 86_400_000;
const RELATIVE = /^-?(\d+)(m|h|d|w)$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: DAY_MS, w: 7 * DAY_MS } as const;

/**
 * A point in time as epoch ms from `now`, an ISO date or date-time (UTC unless it says otherwise), or a time before now
 * like `7d`, `-24h`, `30m`, `2w`; undefined when it is none of these.
 */
export function parseTime(text: string, nowMs: number): number | undefined {
  const t = text.trim();
  if (t === 'now') return nowMs;
  const rel = RELATIVE.exec(t);
  if (rel) return nowMs - Number(rel[1]) * UNIT_MS[rel[2] as keyof typeof UNIT_MS];
  if (!/^\d{4}-\d{2}-\d{2}/.test(t)) return undefined;
  // A date or date-time without a zone is UTC (ClickHouse's columns are UTC), not the machine's zone.
  const iso = /[zZ]|[+-]\d{2}:?\d{2}$/.test(t) || t.length === 10 ? t : `${t.replace(' ', 'T')}Z`;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms : undefined;
}

const time = (fallback: string) =>
  z
    .union([z.string(), z.number()])
    .default(fallback)
    .transform((v, ctx) => {
      const ms = typeof v === 'number' ? v : parseTime(v, Date.now());
      if (ms === undefined || !Number.isFinite(ms)) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'expected now, an ISO date or date-time, or a time ago like 7d, 24h, 30m' });
        return z.NEVER;
      }
      return ms;
    });

/** A time window [from, to): by default the last 7 days. */
const window = { from: time('7d'), to: time('now') };
const ordered = (p: { from: number; to: number }) => p.from < p.to;
const orderedMessage = { message: 'from must be before to', path: ['from'] };

/** A list from a JSON array or a comma-separated string (query strings and CLI flags). */
const list = (item: z.ZodString) =>
  z.preprocess((v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : v), z.array(item));

const int = (fallback: number, min: number, max: number) => z.coerce.number().int().min(min).max(max).default(fallback);

/** Funnel steps: `kind:add_to_cart` or `event:Order Completed`; a bare name is a kind (page_view, click, search, add_to_cart, purchase, identify, other). */
export const FUNNEL_STEP = /^(?:(kind|event):)?(.+)$/;

export function parseStep(text: string): { by: 'kind' | 'event'; value: string } {
  const m = FUNNEL_STEP.exec(text.trim());
  return { by: (m?.[1] as 'kind' | 'event' | undefined) ?? 'kind', value: (m?.[2] ?? '').trim() };
}

/** Dimensions a funnel can be split by: the session's first event's value. */
export const FUNNEL_DIMENSIONS = ['source', 'device_type', 'referrer_class', 'campaign'] as const;

export const funnelParams = z
  .object({
    ...window,
    steps: list(z.string().min(1).max(200)).pipe(z.array(z.string()).min(2, 'at least 2 steps').max(10, 'at most 10 steps')).default(['page_view', 'add_to_cart', 'purchase']),
    /** Conversion window: every step within this many seconds of the first. @default 3600 */
    window: int(3600, 1, 30 * 86_400),
    by: z.enum(FUNNEL_DIMENSIONS).optional(),
  })
  .refine(ordered, orderedMessage);

export const retentionParams = z
  .object({
    // Cohorts first seen in [from, to), by default those of the last 8 weeks.
    from: time('8w'),
    to: time('now'),
    unit: z.enum(['day', 'week']).default('day'),
    /** Periods after the first (period 0 is the cohort's own). @default 8 */
    periods: int(8, 1, 60),
  })
  .refine(ordered, orderedMessage);

export const activeParams = z
  .object({ from: time('30d'), to: time('now'), unit: z.enum(['day', 'week', 'month']).default('day') })
  .refine(ordered, orderedMessage);

export const TOP_SUBJECTS = ['events', 'pages', 'referrers', 'campaigns'] as const;

export const topParams = z
  .object({ ...window, subject: z.enum(TOP_SUBJECTS).default('events'), limit: int(10, 1, 100) })
  .refine(ordered, orderedMessage);

export const personParams = z.object({
  /** A userId or an anonymousId. */
  id: z.string().min(1).max(256),
  /** Latest events shown. @default 50 */
  events: int(50, 1, 500),
  /** Latest sessions shown. @default 20 */
  sessions: int(20, 1, 200),
});

export const calibrationParams = z
  .object({ ...window, model: z.string().min(1).max(200).default('purchase_propensity') })
  .refine(ordered, orderedMessage);

/** A feature vector to score: the triggering event's kind and the session features (README "Features"). */
export const scoreInput = z
  .object({
    eventKind: z.string().min(1).max(64),
    features: z.record(z.string().min(1).max(128), z.number().finite()),
  })
  .strict();

export type FunnelParams = z.input<typeof funnelParams>;
export type RetentionParams = z.input<typeof retentionParams>;
export type ActiveParams = z.input<typeof activeParams>;
export type TopParams = z.input<typeof topParams>;
export type PersonParams = z.input<typeof personParams>;
export type CalibrationParams = z.input<typeof calibrationParams>;
export type ScoreInput = z.infer<typeof scoreInput>;

/** A zod failure as the one field and reason a caller needs (the first issue). */
export function firstIssue(error: z.ZodError): { field: string; reason: string } {
  const issue = error.issues[0];
  return { field: issue?.path.join('.') || '(input)', reason: issue?.message ?? 'invalid' };
}
