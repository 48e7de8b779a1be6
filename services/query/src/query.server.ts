import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { QueryInputError, personParams, type Analytics, type PredictionAnswer } from '@telltale/queries';
import { Counter, Histogram, handleAdminRequest, type HealthCheck, type Logger, type Registry, type TlsFiles } from '@telltale/runtime';
import { openApiDocument } from './query.openapi';
import type { ReadKeys } from './read-keys';

export interface QueryServerDeps {
  analytics: Analytics;
  /** Where GET /v1/users/{id}/prediction answers from. @default analytics (ClickHouse, every time) */
  predictions?: { get(id: string): Promise<PredictionAnswer | null> };
  readKeys: ReadKeys;
  logger: Logger;
  registry: Registry;
  health: Record<string, HealthCheck>;
  /** Serve HTTPS with this certificate and key (loadTlsFiles, QUERY_TLS_*). @default plain HTTP */
  https?: TlsFiles | null;
}

/** The error body every 4xx/5xx carries: which field, and why. */
interface ErrorBody {
  error: string;
  field?: string | null;
  reason: string;
}

export interface RegisteredRoute {
  method: string;
  url: string;
}
const registered = new WeakMap<FastifyInstance, RegisteredRoute[]>();

/** Every route a query server registered (fastify's spelling: `:param`), for the test of its OpenAPI document. */
export function registeredRoutes(app: FastifyInstance): RegisteredRoute[] {
  return registered.get(app) ?? [];
}

type Params = Record<string, string>;
type QueryString = Record<string, string | string[]>;

/**
 * The read-only HTTP API: every answer comes from @telltale/queries (the same package the CLI and the live view use),
 * after the read key and its rate limit are checked. Nothing here builds SQL.
 */
export function buildQueryServer(deps: QueryServerDeps): FastifyInstance {
  const registers = [deps.registry];
  const requestSeconds = new Histogram({
    name: 'telltale_query_request_duration_seconds',
    help: 'Time from request to answer, by route and status',
    labelNames: ['route', 'status'],
    buckets: [0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers,
  });
  const refused = new Counter({ name: 'telltale_query_refused_total', help: 'Requests refused before any query: unauthorized or rate limited', labelNames: ['reason'], registers });

  const options = { logger: false, bodyLimit: 64 * 1024, onProtoPoisoning: 'remove', onConstructorPoisoning: 'remove' } as const;
  // TRICKY: fastify types an HTTPS instance apart; the routes and hooks are the same on both.
  const app = deps.https ? (Fastify({ ...options, https: deps.https }) as unknown as FastifyInstance) : Fastify(options);
  const routes: RegisteredRoute[] = [];
  registered.set(app, routes);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method: method.toLowerCase(), url: route.url });
  });
  app.addHook('onResponse', async (req, reply) => {
    requestSeconds.observe({ route: req.routeOptions.url ?? 'unknown', status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });

  for (const path of ['/healthz', '/metrics']) {
    app.get(path, (req, reply) => {
      reply.hijack();
      handleAdminRequest(req.raw, reply.raw, deps.registry, deps.health);
    });
  }
  app.get('/openapi.json', async () => openApiDocument);

  /** Checks the read key and its rate limit; false once the request has been answered 401 or 429. */
  function admitted(req: FastifyRequest, reply: FastifyReply): boolean {
    const name = deps.readKeys.authenticate(req.headers.authorization);
    if (name === undefined) {
      refused.inc({ reason: 'unauthorized' });
      void reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'unauthorized', field: 'Authorization', reason: 'send a read key as "Authorization: Bearer <key>" (write keys do not read)' } satisfies ErrorBody);
      return false;
    }
    const retryAfter = deps.readKeys.take(name);
    if (retryAfter !== null) {
      refused.inc({ reason: 'rate_limited' });
      void reply.code(429).header('retry-after', String(retryAfter)).send({ error: 'rate_limited', field: null, reason: `over the read key's rate limit; retry after ${retryAfter} s` } satisfies ErrorBody);
      return false;
    }
    return true;
  }

  /** Runs one answer: 400 for refused input, 404 for null, 503 when ClickHouse fails. */
  function route<R>(answer: (req: FastifyRequest) => Promise<R | null>, notFound = 'not found') {
    return async (req: FastifyRequest, reply: FastifyReply) => {
      if (!admitted(req, reply)) return reply;
      try {
        const result = await answer(req);
        if (result === null) return reply.code(404).send({ error: 'not_found', field: null, reason: notFound } satisfies ErrorBody);
        return reply.send(result);
      } catch (err) {
        if (err instanceof QueryInputError) return reply.code(400).send({ error: 'invalid', field: err.field, reason: err.reason } satisfies ErrorBody);
        deps.logger.warn({ err: (err as Error).message, route: req.routeOptions.url }, 'query failed');
        return reply.code(503).send({ error: 'unavailable', field: null, reason: 'ClickHouse did not answer; retry later' } satisfies ErrorBody);
      }
    };
  }

  const query = (req: FastifyRequest) => req.query as QueryString;
  const params = (req: FastifyRequest) => req.params as Params;
  app.get('/v1/funnel', route((req) => deps.analytics.funnel(query(req) as never)));
  app.get('/v1/retention', route((req) => deps.analytics.retention(query(req) as never)));
  app.get('/v1/active', route((req) => deps.analytics.active(query(req) as never)));
  app.get('/v1/top/:subject', route((req) => deps.analytics.top({ ...query(req), subject: params(req).subject } as never)));
  app.get('/v1/calibration', route((req) => deps.analytics.calibration(query(req) as never)));
  app.get('/v1/users/:id', route((req) => deps.analytics.person({ ...query(req), id: params(req).id } as never), 'no event of this id is known'));
  const predictions = deps.predictions ?? { get: (id: string) => deps.analytics.prediction(id) };
  app.get(
    '/v1/users/:id/prediction',
    route((req) => {
      const parsed = personParams.safeParse({ id: params(req).id });
      if (!parsed.success) throw new QueryInputError('id', parsed.error.issues[0]?.message ?? 'invalid');
      return predictions.get(parsed.data.id);
    }, 'no prediction for this id'),
  );
  app.post(
    '/v1/score',
    route(async (req) => {
      const score = await deps.analytics.score(req.body as never);
      if (score === null) throw new Error('no promoted model yet');
      return score;
    }),
  );

  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: 'not_found', field: null, reason: `no route ${req.method} ${req.url.split('?')[0]}; see /openapi.json` } satisfies ErrorBody));
  app.setErrorHandler((err: { statusCode?: number; message: string }, _req, reply) => {
    // fastify's own refusals (a body that is not JSON, too large): the client's fault, said plainly.
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    return reply.code(status).send({ error: status === 500 ? 'internal' : 'invalid', field: status === 400 ? 'body' : null, reason: err.message } satisfies ErrorBody);
  });
  return app;
}
