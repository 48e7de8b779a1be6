import type { ClickHouseClient } from '@telltale/clickhouse';
import { decodeExplanationHeader, type PredictionExplanation } from '@telltale/contracts';
import { compileModel, explainPrediction, validateLinearModel, type Explanation, type LinearModel } from '@telltale/model';
import type { z } from 'zod';
import { activeQuery, calibrationQuery, funnelQuery, retentionQuery, topQuery, type Query } from './analytics.queries';
import {
  anonymousIdsQuery,
  featureVectorQuery,
  latestEventsQuery,
  latestPredictionQuery,
  linkedUserQuery,
  liveModelQuery,
  modelVersionQuery,
  profileQuery,
  sessionsQuery,
  traitsQuery,
} from './person.queries';
import {
  activeParams,
  calibrationParams,
  firstIssue,
  funnelParams,
  parseStep,
  personParams,
  retentionParams,
  scoreInput,
  topParams,
  type ActiveParams,
  type CalibrationParams,
  type FunnelParams,
  type PersonParams,
  type RetentionParams,
  type ScoreInput,
  type TopParams,
} from './query-params';

/** A caller's input refused: the field and why (the HTTP service answers 400 with both, the CLI prints them). */
export class QueryInputError extends Error {
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
    this.name = 'QueryInputError';
  }
}

type Row = Record<string, unknown>;

/** A number from a JSON cell: 64-bit integers arrive as strings, NaN/inf as null. */
export function num(value: unknown): number | null {
  if (value === null || value === undefined || value === '') return null;
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) ? n : null;
}

const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);

export interface FunnelStep {
  step: string;
  /** Sessions that reached this step (every earlier one done, in order, within the window). */
  count: number;
  /** P(this step | the previous one); for the first step, P(step | a session in the window). */
  conversion: number;
}

export interface FunnelGroup {
  /** The dimension's value ('' when the session's first event had none); absent for the overall funnel. */
  value?: string;
  sessions: number;
  steps: FunnelStep[];
  /** The chain's product: P(step 1) · P(step 2 | step 1) · … = sessions reaching the last step / sessions. */
  conversion: number;
}

export interface FunnelResult {
  steps: string[];
  windowSeconds: number;
  from: string;
  to: string;
  overall: FunnelGroup;
  by?: { dimension: string; groups: FunnelGroup[] };
}

function funnelGroup(steps: string[], sessions: number, reached: number[], value?: string): FunnelGroup {
  let conversion = sessions === 0 ? 0 : 1;
  const out = steps.map((step, i) => {
    const count = reached[i] ?? 0;
    const p = ratio(count, i === 0 ? sessions : (reached[i - 1] ?? 0));
    conversion *= p;
    return { step, count, conversion: p };
  });
  return { ...(value === undefined ? {} : { value }), sessions, steps: out, conversion };
}

export interface RetentionCohort {
  cohort: string;
  /** Persons first seen in the cohort's period. */
  people: number;
  /** Persons active in period 0, 1, …, periods; null for a period that has not begun by `to`. */
  active: Array<number | null>;
  /** active / people, period by period. */
  rates: Array<number | null>;
}

export interface RetentionResult {
  unit: 'day' | 'week';
  periods: number;
  cohorts: RetentionCohort[];
}

export interface ActiveResult {
  unit: 'day' | 'week' | 'month';
  periods: Array<{ period: string; people: number }>;
}

export interface TopResult {
  subject: string;
  rows: Array<{ value: string; events: number; sessions: number; users: number }>;
}

export interface CalibrationBucketRow {
  bucket: number;
  scoreFrom: number;
  scoreTo: number;
  predictions: number;
  meanPredicted: number;
  observedRate: number;
}

export interface CalibrationResult {
  model: string;
  byBucket: CalibrationBucketRow[];
  byDay: Array<{ day: string; predictions: number; meanPredicted: number; observedRate: number; buckets: CalibrationBucketRow[] }>;
}

export interface PredictionAnswer {
  /** The person the id resolved to, and the key (userId or anonymousId) the prediction was made under. */
  person: string;
  userKey: string;
  sessionId: string;
  messageId: string;
  modelName: string;
  modelVersion: number;
  probability: number;
  eventTime: string;
  predictedAt: string;
  /**
   * The average visitor's log-odds, this one's, and the three inputs that moved it most: as the scorer published it
   * (predictions.explanation), or recomputed from the scored feature vector and the model for a prediction from before
   * explanations; null when those are no longer in ClickHouse.
   */
  explanation: PredictionExplanation | null;
}

export interface PersonResult {
  id: string;
  /** The person's key: the userId when one is known, else the anonymousId asked for. */
  person: string;
  userId: string | null;
  anonymousIds: string[];
  profile: { events: number; sessions: number; firstSeen: string; lastSeen: string; pageViews: number; addToCarts: number; purchases: number; revenue: number };
  traits: Record<string, { value: unknown; setAt: string }>;
  sessions: Array<{ sessionId: string; startedAt: string; endedAt: string; events: number; pageViews: number; purchases: number; revenue: number; source: string; deviceType: string; referrerClass: string }>;
  events: Array<{ messageId: string; type: string; event: string; kind: string; sessionId: string; userKey: string; eventTime: string; pagePath: string | null; productId: string | null; revenue: number | null }>;
  prediction: PredictionAnswer | null;
}

export interface ScoreAnswer {
  modelName: string;
  modelVersion: number;
  probability: number;
  explanation: Explanation;
}

interface NamedModel extends LinearModel {
  name: string;
  version: number;
}

const iso = (ms: unknown) => new Date(num(ms) ?? 0).toISOString();

function toModel(row: Row): NamedModel {
  const numbers = (v: unknown) => (Array.isArray(v) ? v.map((x) => Number(x)) : []);
  return {
    name: String(row.model_name),
    version: num(row.version) ?? 0,
    featureTransform: String(row.feature_transform),
    featureNames: Array.isArray(row.feature_names) ? row.feature_names.map(String) : [],
    means: numbers(row.means),
    stds: numbers(row.stds),
    weights: numbers(row.weights),
    intercept: Number(row.intercept),
  };
}

export interface AnalyticsOptions {
  /** The model POST /score uses and calibration defaults to. @default purchase_propensity */
  modelName?: string;
  /** How long the live model is reused before asking ClickHouse again, ms. @default 5000 */
  liveModelTtlMs?: number;
  /** For tests. @default Date.now */
  now?: () => number;
}

/**
 * Every analytics question, typed: input validated (QueryInputError names the field), the SQL of
 * analytics.queries.ts / person.queries.ts sent with its parameters, the rows turned into plain numbers and ISO times.
 * Reads only: give it a read-only client (createClickHouseClient with readOnly).
 */
export class Analytics {
  private readonly models = new Map<string, NamedModel>();
  private live: { model: NamedModel | null; atMs: number } | undefined;
  private readonly now: () => number;

  constructor(
    private readonly client: ClickHouseClient,
    private readonly opts: AnalyticsOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
  }

  async rows(q: Query): Promise<Row[]> {
    const rs = await this.client.query({ query: q.query, query_params: q.query_params, format: 'JSONEachRow' });
    return rs.json<Row>();
  }

  async funnel(input: FunnelParams): Promise<FunnelResult> {
    const p = parse(funnelParams, input);
    const rows = await this.rows(funnelQuery(p));
    const steps = p.steps.map((s) => {
      const { by, value } = parseStep(s);
      return by === 'event' ? `event:${value}` : value;
    });
    const groups = rows.map((r) => ({ value: String(r.dimension ?? ''), sessions: num(r.sessions) ?? 0, reached: Array.isArray(r.reached) ? r.reached.map((x) => num(x) ?? 0) : [] }));
    // Each session has one dimension value, so the overall counts are the groups' sums.
    const sessions = groups.reduce((s, g) => s + g.sessions, 0);
    const reached = steps.map((_, i) => groups.reduce((s, g) => s + (g.reached[i] ?? 0), 0));
    return {
      steps,
      windowSeconds: p.window,
      from: new Date(p.from).toISOString(),
      to: new Date(p.to).toISOString(),
      overall: funnelGroup(steps, sessions, reached),
      ...(p.by ? { by: { dimension: p.by, groups: groups.map((g) => funnelGroup(steps, g.sessions, g.reached, g.value)) } } : {}),
    };
  }

  async retention(input: RetentionParams): Promise<RetentionResult> {
    const p = parse(retentionParams, input);
    const rows = await this.rows(retentionQuery(p));
    const byCohort = new Map<string, Map<number, number>>();
    for (const r of rows) {
      const cohort = String(r.cohort);
      if (!byCohort.has(cohort)) byCohort.set(cohort, new Map());
      byCohort.get(cohort)!.set(num(r.period) ?? 0, num(r.people) ?? 0);
    }
    const unitDays = p.unit === 'day' ? 1 : 7;
    const cohorts = [...byCohort].map(([cohort, periods]) => {
      const people = periods.get(0) ?? 0;
      const start = Date.parse(`${cohort}T00:00:00Z`);
      const active = Array.from({ length: p.periods + 1 }, (_, k) => (start + k * unitDays * 86_400_000 >= p.to ? null : (periods.get(k) ?? 0)));
      return { cohort, people, active, rates: active.map((n) => (n === null ? null : ratio(n, people))) };
    });
    return { unit: p.unit, periods: p.periods, cohorts };
  }

  async active(input: ActiveParams): Promise<ActiveResult> {
    const p = parse(activeParams, input);
    const rows = await this.rows(activeQuery(p));
    return { unit: p.unit, periods: rows.map((r) => ({ period: String(r.period), people: num(r.people) ?? 0 })) };
  }

  async top(input: TopParams): Promise<TopResult> {
    const p = parse(topParams, input);
    const rows = await this.rows(topQuery(p));
    return { subject: p.subject, rows: rows.map((r) => ({ value: String(r.value), events: num(r.events) ?? 0, sessions: num(r.sessions) ?? 0, users: num(r.users) ?? 0 })) };
  }

  async calibration(input: CalibrationParams): Promise<CalibrationResult> {
    const p = parse(calibrationParams, input);
    const rows = (await this.rows(calibrationQuery(p))).map((r) => ({
      day: String(r.day),
      bucket: num(r.bucket) ?? 0,
      predictions: num(r.predictions) ?? 0,
      meanPredicted: num(r.mean_predicted) ?? 0,
      observedRate: num(r.observed_rate) ?? 0,
    }));
    // Means over several rows are weighted by their predictions.
    const combine = (rs: typeof rows) => {
      const n = rs.reduce((s, r) => s + r.predictions, 0);
      return {
        predictions: n,
        meanPredicted: ratio(rs.reduce((s, r) => s + r.meanPredicted * r.predictions, 0), n),
        observedRate: ratio(rs.reduce((s, r) => s + r.observedRate * r.predictions, 0), n),
      };
    };
    const bucketRow = (bucket: number, rs: typeof rows): CalibrationBucketRow => ({ bucket, scoreFrom: bucket / 10, scoreTo: (bucket + 1) / 10, ...combine(rs) });
    const buckets = [...new Set(rows.map((r) => r.bucket))].sort((a, b) => a - b);
    const days = [...new Set(rows.map((r) => r.day))].sort();
    return {
      model: p.model,
      byBucket: buckets.map((b) => bucketRow(b, rows.filter((r) => r.bucket === b))),
      byDay: days.map((day) => {
        const rs = rows.filter((r) => r.day === day);
        return { day, ...combine(rs), buckets: rs.map((r) => bucketRow(r.bucket, [r])) };
      }),
    };
  }

  /** The person an id stands for and every key their events and predictions are under. */
  async resolve(id: string): Promise<{ person: string; userId: string | null; anonymousIds: string[]; keys: string[] }> {
    const [linked] = await this.rows(linkedUserQuery(id));
    const linkedUser = linked ? String(linked.user_id) : null;
    const person = linkedUser ?? id;
    const anonymousIds = [...new Set((await this.rows(anonymousIdsQuery(person))).map((r) => String(r.anonymous_id)))].sort();
    // An id nobody linked is an anonymousId when no event carries it as a userId: then it is its own only key.
    const keys = [...new Set([person, ...anonymousIds])];
    return { person, userId: linkedUser ?? (anonymousIds.length > 0 ? person : null), anonymousIds, keys };
  }

  /** A person's profile, traits, sessions, latest events and latest score; null when no event of theirs is known. */
  async person(input: PersonParams): Promise<PersonResult | null> {
    const p = parse(personParams, input);
    const who = await this.resolve(p.id);
    const [profileRows, traitRows, sessionRows, eventRows, prediction, userId] = await Promise.all([
      this.rows(profileQuery(who.keys)),
      this.rows(traitsQuery(who.keys)),
      this.rows(sessionsQuery(who.keys, p.sessions)),
      this.rows(latestEventsQuery(who.keys, p.events)),
      this.predictionOf(who),
      // A userId that never came with an anonymousId is still a userId when an event carries it as one.
      who.userId ?? this.userIdOf(who.person),
    ]);
    const profile = profileRows[0];
    if (!profile || (num(profile.events) ?? 0) === 0) return null;
    return {
      id: p.id,
      person: who.person,
      userId,
      anonymousIds: who.anonymousIds,
      profile: {
        events: num(profile.events) ?? 0,
        sessions: num(profile.sessions) ?? 0,
        firstSeen: iso(profile.first_seen_ms),
        lastSeen: iso(profile.last_seen_ms),
        pageViews: num(profile.page_views) ?? 0,
        addToCarts: num(profile.add_to_carts) ?? 0,
        purchases: num(profile.purchases) ?? 0,
        revenue: num(profile.revenue) ?? 0,
      },
      traits: Object.fromEntries(traitRows.map((r) => [String(r.trait), { value: parseJson(String(r.value_json)), setAt: iso(r.set_ms) }])),
      sessions: sessionRows.map((r) => ({
        sessionId: String(r.session_id),
        startedAt: iso(r.started_ms),
        endedAt: iso(r.ended_ms),
        events: num(r.events) ?? 0,
        pageViews: num(r.page_views) ?? 0,
        purchases: num(r.purchases) ?? 0,
        revenue: num(r.revenue) ?? 0,
        source: String(r.source ?? ''),
        deviceType: String(r.device_type ?? ''),
        referrerClass: String(r.referrer_class ?? ''),
      })),
      events: eventRows.map((r) => ({
        messageId: String(r.message_id),
        type: String(r.type),
        event: String(r.event),
        kind: String(r.kind),
        sessionId: String(r.session_id),
        userKey: String(r.user_key),
        eventTime: iso(r.event_ms),
        pagePath: r.page_path == null ? null : String(r.page_path),
        productId: r.product_id == null ? null : String(r.product_id),
        revenue: num(r.revenue),
      })),
      prediction,
    };
  }

  private async userIdOf(key: string): Promise<string | null> {
    const rows = await this.rows({ query: 'SELECT 1 AS yes FROM events WHERE user_key = {key:String} AND user_id = {key:String} LIMIT 1', query_params: { key } });
    return rows.length > 0 ? key : null;
  }

  /** The latest prediction of a userId or anonymousId (resolved through identities), with its explanation; null when none. */
  async prediction(id: string): Promise<PredictionAnswer | null> {
    const p = parse(personParams, { id });
    return this.predictionOf(await this.resolve(p.id));
  }

  /** The latest prediction under any of a resolved person's keys, with its explanation; null when none. */
  async predictionOf(who: { person: string; keys: string[] }): Promise<PredictionAnswer | null> {
    const [row] = await this.rows(latestPredictionQuery(who.keys));
    if (!row) return null;
    const answer = {
      person: who.person,
      userKey: String(row.user_key),
      sessionId: String(row.session_id),
      messageId: String(row.message_id),
      modelName: String(row.model_name),
      modelVersion: num(row.model_version) ?? 0,
      probability: num(row.probability) ?? 0,
      eventTime: iso(row.event_ms),
      predictedAt: iso(row.predicted_ms),
    };
    const stored = decodeExplanationHeader(typeof row.explanation === 'string' && row.explanation !== '' ? row.explanation : null);
    if (stored) return { ...answer, explanation: stored };
    const [[vector], model] = await Promise.all([this.rows(featureVectorQuery(answer.sessionId, answer.messageId)), this.modelVersion(answer.modelName, answer.modelVersion)]);
    const e = vector && model ? explainPrediction(model, { eventKind: String(vector.event_kind), features: toFeatures(vector.features) }) : null;
    return { ...answer, explanation: e && { intercept: e.intercept, logit: e.logit, top: e.top } };
  }

  /** Scores one feature vector with the live model (the newest promoted version); null when no model is promoted yet. */
  async score(input: ScoreInput): Promise<ScoreAnswer | null> {
    const p = parse(scoreInput, input);
    const model = await this.liveModel();
    if (!model) return null;
    const source = { eventKind: p.eventKind, features: p.features };
    const explanation = explainPrediction(model, source);
    return { modelName: model.name, modelVersion: model.version, probability: compileModel(model).probability(source), explanation };
  }

  private async modelVersion(name: string, version: number): Promise<NamedModel | undefined> {
    const key = `${name}\u0000${version}`;
    const cached = this.models.get(key);
    if (cached) return cached;
    const [row] = await this.rows(modelVersionQuery(name, version));
    if (!row) return undefined;
    const model = toModel(row);
    if (validateLinearModel(model).length > 0) return undefined;
    // NOTE: a published version never changes, so it is kept for the process's life (models are a few KB).
    this.models.set(key, model);
    return model;
  }

  private async liveModel(): Promise<NamedModel | null> {
    const ttl = this.opts.liveModelTtlMs ?? 5_000;
    if (this.live && this.now() - this.live.atMs < ttl) return this.live.model;
    const [row] = await this.rows(liveModelQuery(this.opts.modelName ?? 'purchase_propensity'));
    const model = row ? toModel(row) : null;
    const usable = model && validateLinearModel(model).length === 0 ? model : null;
    this.live = { model: usable, atMs: this.now() };
    return usable;
  }
}

function parse<S extends z.ZodTypeAny>(schema: S, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const { field, reason } = firstIssue(parsed.error);
    throw new QueryInputError(field, reason);
  }
  return parsed.data as z.output<S>;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function toFeatures(value: unknown): Record<string, number> {
  if (typeof value !== 'object' || value === null) return {};
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, Number(v)]));
}
