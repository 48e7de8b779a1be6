import { FUNNEL_DIMENSIONS, TOP_SUBJECTS } from '@telltale/queries';

// The OpenAPI 3.1 description of every route the query API serves, at GET /openapi.json. Written by hand beside the
// routes; query.server.int.test.ts fails when a route is added or removed without it. Parameters mirror the zod
// schemas of @telltale/queries (query-params.ts), which are what validates them.

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: object) => ({ 'application/json': { schema } });
const ok = (description: string, schema: object = { type: 'object' }) => ({ description, content: json(schema) });
const error = (description: string) => ({ description, content: json(ref('Error')) });

const time = (name: string, fallback: string) => ({
  name,
  in: 'query',
  schema: { type: 'string', default: fallback },
  description: 'now, an ISO date or date-time (UTC unless it names a zone), or a time ago: 30m, 24h, 7d, 2w',
});
const window = [time('from', '7d'), time('to', 'now')];
const read = (summary: string, parameters: object[], responses: Record<string, object>) => ({
  get: {
    summary,
    security: [{ readKey: [] }],
    parameters,
    responses: {
      ...responses,
      '400': error('A parameter is invalid: `field` names it, `reason` says why'),
      '401': error('Missing or unknown read key'),
      '429': { ...error('Over the read key’s rate limit'), headers: { 'Retry-After': { schema: { type: 'integer' } } } },
      '503': error('ClickHouse did not answer'),
    },
  },
});
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string', minLength: 1, maxLength: 256 }, description: 'A userId or an anonymousId (resolved through identities)' };

export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'Telltale query API',
    version: '1',
    description: 'Read-only analytics over ClickHouse and predictions with their explanations. Send a read key as `Authorization: Bearer <key>`. See README, "Asking questions".',
  },
  paths: {
    '/v1/funnel': read(
      'Sessions through ordered steps within a conversion window: each step’s count, P(step | previous step) and the product, overall and by a dimension',
      [
        ...window,
        { name: 'steps', in: 'query', schema: { type: 'string', default: 'page_view,add_to_cart,purchase' }, description: '2 to 10 comma-separated steps: an event kind, or event:<name>' },
        { name: 'window', in: 'query', schema: { type: 'integer', minimum: 1, default: 3600 }, description: 'Conversion window, seconds from the first step' },
        { name: 'by', in: 'query', schema: { type: 'string', enum: [...FUNNEL_DIMENSIONS] } },
      ],
      { '200': ok('The funnel', ref('Funnel')) },
    ),
    '/v1/retention': read(
      'Persons by first-seen cohort and how many were active in each period after',
      [time('from', '8w'), time('to', 'now'), { name: 'unit', in: 'query', schema: { type: 'string', enum: ['day', 'week'], default: 'day' } }, { name: 'periods', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 60, default: 8 } }],
      { '200': ok('Cohorts') },
    ),
    '/v1/active': read('Distinct persons active per day, week or month', [time('from', '30d'), time('to', 'now'), { name: 'unit', in: 'query', schema: { type: 'string', enum: ['day', 'week', 'month'], default: 'day' } }], {
      '200': ok('Active persons per period'),
    }),
    '/v1/top/{subject}': read(
      'The most frequent event names, page paths, referrer hosts or campaigns',
      [{ name: 'subject', in: 'path', required: true, schema: { type: 'string', enum: [...TOP_SUBJECTS] } }, ...window, { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 10 } }],
      { '200': ok('Rows, most events first') },
    ),
    '/v1/calibration': read('Mean score against observed conversion by score bucket and by day', [...window, { name: 'model', in: 'query', schema: { type: 'string', default: 'purchase_propensity' } }], {
      '200': ok('Calibration'),
    }),
    '/v1/users/{id}': read(
      'A person: identities, traits (latest values), profile, sessions, latest events, latest score with its explanation',
      [idParam, { name: 'events', in: 'query', schema: { type: 'integer', default: 50 } }, { name: 'sessions', in: 'query', schema: { type: 'integer', default: 20 } }],
      { '200': ok('The person'), '404': error('No event of this id is known') },
    ),
    '/v1/users/{id}/prediction': read('The latest prediction of a person, with the model version, when it was computed and its explanation', [idParam], {
      '200': ok('The prediction', ref('Prediction')),
      '404': error('No prediction for this id'),
    }),
    '/v1/score': {
      post: {
        summary: 'A feature vector in, the live model’s probability and explanation out',
        security: [{ readKey: [] }],
        requestBody: { required: true, content: json(ref('FeatureVector')) },
        responses: {
          '200': ok('The score', ref('Score')),
          '400': error('The body is invalid: `field` names it, `reason` says why'),
          '401': error('Missing or unknown read key'),
          '429': error('Over the read key’s rate limit'),
          '503': error('No promoted model yet, or ClickHouse did not answer'),
        },
      },
    },
    '/openapi.json': { get: { summary: 'This document', responses: { '200': ok('OpenAPI 3.1') } } },
    '/healthz': { get: { summary: 'Liveness, with this process’s pid', responses: { '200': ok('Healthy'), '503': ok('Stopping or unhealthy') } } },
    '/metrics': { get: { summary: 'Prometheus metrics', responses: { '200': { description: 'Prometheus text format', content: { 'text/plain': { schema: { type: 'string' } } } } } } },
  },
  components: {
    securitySchemes: { readKey: { type: 'http', scheme: 'bearer', description: 'A read key (QUERY_READ_KEYS); HTTP Basic with the key as user name works too' } },
    schemas: {
      Error: { type: 'object', required: ['error', 'reason'], properties: { error: { type: 'string' }, field: { type: ['string', 'null'] }, reason: { type: 'string' } } },
      Funnel: {
        type: 'object',
        properties: {
          steps: { type: 'array', items: { type: 'string' } },
          overall: ref('FunnelGroup'),
          by: { type: 'object', properties: { dimension: { type: 'string' }, groups: { type: 'array', items: ref('FunnelGroup') } } },
        },
      },
      FunnelGroup: {
        type: 'object',
        properties: {
          value: { type: 'string' },
          sessions: { type: 'integer' },
          steps: { type: 'array', items: { type: 'object', properties: { step: { type: 'string' }, count: { type: 'integer' }, conversion: { type: 'number', description: 'P(step | previous step)' } } } },
          conversion: { type: 'number', description: 'The chain’s product' },
        },
      },
      Explanation: {
        type: 'object',
        description: 'intercept + Σ contributions = logit (exactly); each contribution is coefficient × standardised value, relative to the average visitor',
        properties: {
          intercept: { type: 'number' },
          logit: { type: 'number' },
          probability: { type: 'number' },
          top: { type: 'array', items: ref('Contribution'), description: 'The three inputs that moved it most, with sign' },
          contributions: { type: 'array', items: ref('Contribution') },
        },
      },
      Contribution: { type: 'object', properties: { input: { type: 'string' }, value: { type: ['number', 'null'] }, contribution: { type: 'number' } } },
      Prediction: {
        type: 'object',
        properties: {
          person: { type: 'string' },
          userKey: { type: 'string' },
          sessionId: { type: 'string' },
          messageId: { type: 'string' },
          modelName: { type: 'string' },
          modelVersion: { type: 'integer' },
          probability: { type: 'number' },
          eventTime: { type: 'string', format: 'date-time' },
          predictedAt: { type: 'string', format: 'date-time' },
          explanation: { oneOf: [ref('Explanation'), { type: 'null' }] },
        },
      },
      FeatureVector: {
        type: 'object',
        required: ['eventKind', 'features'],
        additionalProperties: false,
        properties: { eventKind: { type: 'string', description: 'page_view, click, search, add_to_cart, other' }, features: { type: 'object', additionalProperties: { type: 'number' } } },
      },
      Score: { type: 'object', properties: { modelName: { type: 'string' }, modelVersion: { type: 'integer' }, probability: { type: 'number' }, explanation: ref('Explanation') } },
    },
  },
};
