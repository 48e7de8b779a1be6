import type { IncomingMessage } from 'node:http';
import { createGunzip } from 'node:zlib';
import cors from '@fastify/cors';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { RawEvent, Topics } from '@telltale/contracts';
import type { AvroProducer, DeadLetterPublisher, Rejection } from '@telltale/kafka';
import { Counter, Histogram, handleAdminRequest, type HealthCheck, type Logger, type Registry, type TlsFiles } from '@telltale/runtime';
import { SourceRegistry, type Source } from './collector-sources';
import { openApiDocument } from './collector.openapi';
import { RateLimiter } from './rate-limiter';
import { NO_SCRUB_RULES, type IpMode } from './event-privacy';
import { batchEnvelope, fieldName, partitionKeyOf, redactedItem, SEGMENT_CALL_TYPES, validateEvents, type EventPrivacy, type EventRejection } from './segment-event';

export interface CollectorDeps {
  producer: AvroProducer;
  deadLetters: DeadLetterPublisher;
  topics: Topics;
  logger: Logger;
  registry: Registry;
  health: Record<string, HealthCheck>;
  maxBodyBytes: number;
  maxBatchEvents: number;
  keepIp: boolean;
  /** Origins allowed to post from a browser; ['*'] for any. @default ['*'] */
  corsOrigins?: string[];
  /** Write keys and their sources. @default open development mode: no key needed, source `default` */
  sources?: SourceRegistry;
  /** Events per second and burst per write key, unless its source sets its own. @default no limit */
  rateLimit?: { eventsPerSecond: number; burst: number };
  /**
   * Pseudonymisation, scrubbing, IP and consent (README "Privacy"); a source's own ipMode, keepIp and consent decide
   * over these. @default IP per keepIp, no scrubbing, ids as sent, no consent required
   */
  privacy?: Partial<EventPrivacy>;
  /** Serve HTTPS with this certificate and key (loadTlsFiles). @default plain HTTP */
  https?: TlsFiles | null;
}

/** The error body every 4xx/5xx carries: which field, and why. */
interface ErrorBody {
  error: string;
  field?: string | null;
  reason: string;
  accepted?: number;
  rejected?: EventRejection[];
  refusedForConsent?: number;
}

export function buildCollectorServer(deps: CollectorDeps): FastifyInstance {
  const accepted = new Counter({
    name: 'telltale_collector_events_accepted_total',
    help: 'Events acknowledged by Kafka, by type (track, page...) and source (the write key\'s name)',
    labelNames: ['type', 'source'],
    registers: [deps.registry],
  });
  const rejected = new Counter({
    name: 'telltale_collector_events_rejected_total',
    help: 'Events refused, by reason class',
    labelNames: ['reason'],
    registers: [deps.registry],
  });
  const requestSeconds = new Histogram({
    name: 'telltale_collector_request_duration_seconds',
    help: 'Time from request to answer, including the broker acknowledgement',
    labelNames: ['status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [deps.registry],
  });

  // Keys named __proto__ or constructor (legal JSON, sent by buggy or hostile trackers) are dropped from the parsed
  // body instead of refusing it: refusing would cost every valid neighbour of the event that carried one.
  const rateLimited = new Counter({
    name: 'telltale_collector_rate_limited_total',
    help: 'Requests answered 429 because their write key sent more events than its rate limit, by source',
    labelNames: ['source'],
    registers: [deps.registry],
  });
  const withoutConsent = new Counter({
    name: 'telltale_collector_events_without_consent_total',
    help: 'Events whose context.consent did not grant the categories their source requires: refused (never written) or stripped (written without ids), by source',
    labelNames: ['source', 'action'],
    registers: [deps.registry],
  });
  const sources = deps.sources ?? new SourceRegistry([]);

  /** The privacy rules of a source's events: its own IP policy and consent, else the collector's. */
  function privacyOf(source: Source): EventPrivacy {
    const ipMode: IpMode =
      source.ipMode ?? (source.keepIp != null ? (source.keepIp ? 'keep' : 'drop') : (deps.privacy?.ipMode ?? (deps.keepIp ? 'keep' : 'drop')));
    return {
      ipMode,
      scrub: deps.privacy?.scrub ?? NO_SCRUB_RULES,
      pseudonymiser: deps.privacy?.pseudonymiser ?? null,
      consent: source.consent !== undefined ? source.consent : (deps.privacy?.consent ?? null),
    };
  }
  const rateLimiter = new RateLimiter();

  const options = { bodyLimit: deps.maxBodyBytes, logger: false, onProtoPoisoning: 'remove', onConstructorPoisoning: 'remove' } as const;
  // TRICKY: fastify types an HTTPS instance apart; the routes and hooks below are the same on both.
  const app = deps.https ? (Fastify({ ...options, https: deps.https }) as unknown as FastifyInstance) : Fastify(options);
  const routes: RegisteredRoute[] = [];
  registered.set(app, routes);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method: method.toLowerCase(), url: route.url });
  });

  // Browser trackers post cross-origin, and send JSON as text/plain (analytics.js, navigator.sendBeacon) so that
  // no CORS preflight is needed: parse it as JSON all the same.
  const origins = deps.corsOrigins ?? ['*'];
  void app.register(cors, { origin: origins.includes('*') ? '*' : origins, methods: ['GET', 'POST'], maxAge: 86_400 });
  app.addContentTypeParser('text/plain', { parseAs: 'string' }, app.getDefaultJsonParser('remove', 'remove'));

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      rejected.inc({ reason: 'body_too_large' });
      replyTooLarge(req.raw, reply);
      return;
    }
    const status = err.statusCode && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) deps.logger.error({ err }, 'unhandled collector error');
    const body: ErrorBody =
      err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError
        ? { error: 'invalid JSON', field: null, reason: err.message }
        : { error: status === 500 ? 'internal error' : 'bad request', field: null, reason: err.message };
    if (status < 500) rejected.inc({ reason: body.error === 'invalid JSON' ? 'invalid_json' : 'bad_request' });
    void reply.code(status).send(body);
  });

  // Server-side SDKs send gzip bodies. bodyLimit applies to the decompressed bytes, so a small bomb cannot expand
  // past it; receivedEncodedLength keeps fastify's Content-Length check on the bytes that came over the wire.
  app.addHook('preParsing', async (req, _reply, payload) => {
    const encoding = req.headers['content-encoding'];
    if (encoding === undefined || encoding === 'identity') return payload;
    if (encoding !== 'gzip') {
      throw Object.assign(new Error(`unsupported Content-Encoding ${JSON.stringify(encoding)}: send identity or gzip`), { statusCode: 415 });
    }
    const gunzip = createGunzip();
    let encodedLength = 0;
    payload.on('data', (chunk: Buffer) => (encodedLength += chunk.length));
    const decoded = payload.pipe(gunzip);
    Object.defineProperty(decoded, 'receivedEncodedLength', { get: () => encodedLength });
    return decoded;
  });

  /**
   * 413 that the client can read. TRICKY: fastify answers as soon as the limit is passed, while the client is still
   * sending; closing a socket with unread bytes makes the kernel send a reset, and the client loses the answer with
   * the connection. So the answer is written at once (framed by Content-Length, with Connection: close), and the
   * connection ends only once the rest of the body has arrived and been discarded, up to a bound.
   */
  function replyTooLarge(raw: IncomingMessage, reply: FastifyReply) {
    const body = JSON.stringify({
      error: 'body too large',
      field: null,
      reason: `request body exceeds ${deps.maxBodyBytes} bytes (after decompression); send smaller batches`,
    } satisfies ErrorBody);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(413, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      connection: 'close',
      ...corsHeadersOf(raw),
    });
    res.write(body);
    // The gunzip stream (if any) stops; the raw bytes are counted and dropped.
    raw.unpipe();
    let drained = 0;
    const end = () => {
      raw.removeAllListeners('data');
      if (!res.writableEnded) res.end();
    };
    raw.on('data', (chunk: Buffer) => {
      drained += chunk.length;
      if (drained > MAX_DRAINED_BYTES) {
        end();
        raw.destroy();
      }
    });
    raw.once('end', end);
    raw.once('error', end);
    raw.once('close', end);
    raw.resume();
    if (raw.complete) end();
  }

  function corsHeadersOf(raw: IncomingMessage): Record<string, string> {
    const origin = raw.headers.origin;
    if (origin === undefined) return {};
    if (origins.includes('*')) return { 'access-control-allow-origin': '*' };
    return origins.includes(origin) ? { 'access-control-allow-origin': origin, vary: 'Origin' } : {};
  }

  app.addHook('onResponse', async (_req, reply) => {
    requestSeconds.observe({ status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });

  // The admin handler every service uses, on the collector's own port.
  for (const path of ['/healthz', '/metrics']) {
    app.get(path, (req, reply) => {
      reply.hijack();
      handleAdminRequest(req.raw, reply.raw, deps.registry, deps.health);
    });
  }

  /** The request's source, from its write key; or null once the request has been answered 401/403. */
  function sourceOf(req: FastifyRequest, reply: FastifyReply): Source | null {
    const source = sources.authenticate(req.headers.authorization, req.body);
    if ('status' in source) {
      rejected.inc({ reason: 'unauthorized' });
      void reply.code(source.status).send({ error: source.error, field: source.field, reason: source.reason } satisfies ErrorBody);
      return null;
    }
    const origin = req.headers.origin;
    if (origin !== undefined && source.corsOrigins !== null && !source.corsOrigins.includes(origin)) {
      rejected.inc({ reason: 'forbidden_origin' });
      void reply.code(403).send({ error: 'forbidden', field: 'Origin', reason: `source ${source.name} does not accept events from ${origin}` } satisfies ErrorBody);
      return null;
    }
    return source;
  }

  async function ingest(
    items: unknown[],
    envelope: { sentAt?: number; context?: Record<string, unknown> },
    source: Source,
    reply: FastifyReply,
  ) {
    const limit = source.rateLimit ?? deps.rateLimit;
    const retryAfterS = limit ? rateLimiter.take(source.writeKey, Math.max(items.length, 1), limit) : null;
    if (retryAfterS !== null) {
      rateLimited.inc({ source: source.name });
      return reply
        .code(429)
        .header('retry-after', String(retryAfterS))
        .send({
          error: 'rate limited',
          field: 'writeKey',
          reason: `source ${source.name} may send ${limit!.eventsPerSecond} events/s (burst ${limit!.burst}); retry after ${retryAfterS} s with the same messageIds`,
        } satisfies ErrorBody);
    }
    if (items.length > deps.maxBatchEvents) {
      rejected.inc({ reason: 'batch_too_large' }, items.length);
      return reply.code(400).send({
        error: 'batch too large',
        field: 'batch',
        reason: `at most ${deps.maxBatchEvents} events per batch, got ${items.length}`,
      } satisfies ErrorBody);
    }
    const receivedAt = Date.now();
    const privacy = privacyOf(source);
    // Refused events are also kept, with the reason, for whoever operates the pipeline: as privacy would write them.
    const deadLetter = (rejections: EventRejection[]): Promise<void> =>
      rejections.length === 0 ? Promise.resolve() : deps.deadLetters.publish(rejections.map((r) => refusedItem(redactedItem(items[r.index], privacy), r)));
    const batch = validateEvents(items, {
      receivedAt,
      keepIp: privacy.ipMode !== 'drop',
      privacy,
      source: source.name,
      batchSentAt: envelope.sentAt,
      batchContext: envelope.context,
    });
    // validateEvents keeps the order of the items, each one an event or a rejection: event i is item itemIndexOf[i].
    const invalidItems = new Set([...batch.rejected, ...batch.refusedForConsent].map((r) => r.index));
    const itemIndexOf = items.map((_, index) => index).filter((index) => !invalidItems.has(index));
    let tooLarge: EventRejection[];
    let oversizeAt = new Set<number>();
    try {
      const [oversize] = await Promise.all([
        deps.producer.sendFitting(
          deps.topics.rawEvents,
          batch.events.map((e) => ({ key: partitionKeyOf(e), value: e })),
        ),
        // Refused events are also kept, with the reason, for whoever operates the pipeline.
        deadLetter(batch.rejected.filter((r) => !batch.notDeadLettered.has(r.index))),
      ]);
      // An event too large for events.raw can never be accepted, however often it is sent: refused like an invalid
      // one (its neighbours are acknowledged), and kept in the dead-letter topic (cut to fit) with the reason.
      oversizeAt = new Set(oversize.map((o) => o.index));
      tooLarge = oversize.map((o) => {
        const event = batch.events[o.index]!;
        return { index: itemIndexOf[o.index]!, messageId: event.messageId, field: largestField(event), reason: o.reason };
      });
      await deadLetter(tooLarge.filter((r) => !batch.notDeadLettered.has(r.index)));
    } catch (err) {
      deps.logger.error({ err, events: batch.events.length }, 'broker did not acknowledge; client should retry');
      return reply
        .code(503)
        .header('retry-after', '1')
        .send({ error: 'unavailable', field: null, reason: 'event log unavailable, retry with the same messageIds' } satisfies ErrorBody);
    }
    const acceptedEvents = batch.events.length - tooLarge.length;
    // Counted only now: a 503 above is retried, and the retry would count them again.
    if (batch.refusedForConsent.length > 0) withoutConsent.inc({ source: source.name, action: 'refused' }, batch.refusedForConsent.length);
    if (batch.strippedForConsent > 0) withoutConsent.inc({ source: source.name, action: 'stripped' }, batch.strippedForConsent);
    const consentNote = batch.refusedForConsent.length > 0 ? { refusedForConsent: batch.refusedForConsent.length } : {};
    const acceptedByType = new Map<string, number>();
    for (const [i, e] of batch.events.entries()) {
      if (!oversizeAt.has(i)) acceptedByType.set(e.type, (acceptedByType.get(e.type) ?? 0) + 1);
    }
    for (const [type, count] of acceptedByType) accepted.inc({ type, source: source.name }, count);
    if (batch.rejected.length > 0) rejected.inc({ reason: 'invalid_event' }, batch.rejected.length);
    if (tooLarge.length > 0) rejected.inc({ reason: 'event_too_large' }, tooLarge.length);
    const refused = [...batch.rejected, ...tooLarge].sort((a, b) => a.index - b.index);
    if (refused.length > 0) {
      const first = refused[0]!;
      return reply.code(400).send({
        error: 'invalid events',
        field: `batch[${first.index}].${first.field}`,
        reason: first.reason,
        accepted: acceptedEvents,
        rejected: refused,
        ...consentNote,
      } satisfies ErrorBody);
    }
    // NOTE: events refused for want of consent are answered 200 all the same, as Segment drops them silently: a
    // client cannot change the answer by sending again, so it must not be told to retry.
    return reply.code(200).send({ success: true, accepted: acceptedEvents, ...consentNote });
  }

  app.get('/openapi.json', async () => openApiDocument);

  // Segment's browser SDK (analytics-next) posts to one-letter paths: /v1/b for batch, /v1/t for track, and so on.
  for (const path of ['/v1/batch', '/v1/b']) {
    app.post(path, async (req, reply) => {
      const source = sourceOf(req, reply);
      if (source === null) return reply;
      const envelope = batchEnvelope.safeParse(req.body);
      if (!envelope.success) {
        const issue = envelope.error.issues[0]!;
        rejected.inc({ reason: 'bad_request' });
        return reply.code(400).send({ error: 'bad request', field: issue.path.length > 0 ? fieldName(issue.path) : '(body)', reason: issue.message } satisfies ErrorBody);
      }
      return ingest(envelope.data.batch, envelope.data, source, reply);
    });
  }

  // Single-event endpoints of the Segment HTTP API: the path names the type.
  for (const type of SEGMENT_CALL_TYPES) {
    for (const path of [`/v1/${type}`, `/v1/${type[0]}`]) {
      app.post(path, async (req, reply) => {
        const source = sourceOf(req, reply);
        if (source === null) return reply;
        if (typeof req.body !== 'object' || req.body === null || Array.isArray(req.body)) {
          return reply.code(400).send({ error: 'bad request', field: '(body)', reason: 'expected a JSON object' } satisfies ErrorBody);
        }
        return ingest([{ ...(req.body as object), type }], {}, source, reply);
      });
    }
  }

  // What analytics-next fetches when it loads (from its cdnURL): the integrations to run. Only Segment.io, pointed
  // back at this collector, so the SDK sends here whatever host the page was served from.
  app.get<{ Params: { writeKey: string } }>('/v1/projects/:writeKey/settings', async (req, reply) => {
    const source = sources.open ? null : sources.byWriteKey(req.params.writeKey);
    if (!sources.open && source === undefined) {
      return reply.code(404).send({ error: 'not found', field: 'writeKey', reason: 'unknown write key' } satisfies ErrorBody);
    }
    const host = req.headers.host ?? `${req.hostname}`;
    return reply.header('cache-control', 'no-cache').send({
      integrations: {
        'Segment.io': { apiKey: req.params.writeKey, apiHost: `${host}/v1`, protocol: req.protocol, unbundledIntegrations: [], addBundledMetadata: false },
      },
      plan: { track: { __default: { enabled: true, integrations: {} } }, identify: { __default: { enabled: true } }, group: { __default: { enabled: true } } },
      edgeFunction: {},
      analyticsNextEnabled: true,
      middlewareSettings: {},
      enabledMiddleware: {},
      metrics: { sampleRate: 0 },
      legacyVideoPluginsEnabled: false,
      remotePlugins: [],
    });
  });

  return app;
}

export interface RegisteredRoute {
  method: string;
  url: string;
}
const registered = new WeakMap<FastifyInstance, RegisteredRoute[]>();

/** Every route a collector server registered (fastify's spelling: `:param`), for the test of its OpenAPI document. */
export function registeredRoutes(app: FastifyInstance): RegisteredRoute[] {
  return registered.get(app) ?? [];
}

/** Past this many bytes of a body already refused as too large, the connection is cut rather than drained. */
const MAX_DRAINED_BYTES = 64 * 1024 * 1024;

/** A refused item as a dead letter: the JSON as received (after redactedItem), with why. */
function refusedItem(item: unknown, r: EventRejection): Rejection {
  let payload: string;
  try {
    payload = JSON.stringify(item) ?? 'null';
  } catch {
    // Nested too deep for the serialiser (which is why it was refused): the reason says what it was.
    payload = 'null';
  }
  return { reason: r.reason, field: r.field, payload: Buffer.from(payload) };
}

/** The field that makes an event large, to name in the answer: its properties or its context. */
function largestField(e: RawEvent): string {
  return e.properties.length >= e.context.length ? 'properties' : 'context';
}
