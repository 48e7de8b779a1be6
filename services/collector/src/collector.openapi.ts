import { JSON_LIMITS, SEGMENT_CALL_TYPES } from './segment-event';

// The OpenAPI 3.1 description of every route the collector serves, at GET /openapi.json. Written by hand, next to
// the routes; collector.openapi.test.ts fails when a route is added or removed without it.

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: object) => ({ 'application/json': { schema } });
const error = (description: string) => ({ description, content: json(ref('Error')) });

const freeJson = {
  type: 'object',
  additionalProperties: true,
  description: `Free-form JSON: at most ${JSON_LIMITS.maxDepth} levels deep, strings and keys at most ${JSON_LIMITS.maxStringLength} characters.`,
};
const id = { oneOf: [{ type: 'string', minLength: 1, maxLength: 256 }, { type: 'number' }] };
/** Present when the source requires consent and some events did not grant it: they were not written (README "Privacy"). */
const refusedForConsent = { type: 'integer', minimum: 1, description: 'events not written for want of the consent their source requires' };
const time = { oneOf: [{ type: 'string', format: 'date-time' }, { type: 'number', description: 'epoch milliseconds' }] };

const ingestResponses = {
  '200': { description: 'Every event acknowledged by Kafka', content: json(ref('Accepted')) },
  '400': { description: 'Invalid JSON or envelope, or some events refused (the valid ones are accepted)', content: json({ oneOf: [ref('Error'), ref('InvalidEvents')] }) },
  '401': error('Missing or unknown write key'),
  '403': error('The source does not accept events from this Origin'),
  '413': error('Body over the limit (after decompression); answered with Connection: close'),
  '415': error('Content-Encoding other than identity or gzip, or an unsupported Content-Type'),
  '429': { ...error('Over the write key’s rate limit; retry after Retry-After seconds with the same messageIds'), headers: { 'Retry-After': { schema: { type: 'integer' } } } },
  '503': { ...error('Kafka did not acknowledge; retry with the same messageIds'), headers: { 'Retry-After': { schema: { type: 'integer' } } } },
};
const requestBody = (schema: object) => ({
  required: true,
  // Browser trackers send JSON as text/plain (no CORS preflight); server SDKs may gzip it (Content-Encoding).
  content: { 'application/json': { schema }, 'text/plain': { schema } },
});

const single = (type: string, summary: string) => ({
  post: {
    summary,
    security: [{ writeKey: [] }, {}],
    requestBody: requestBody({ allOf: [ref('Event')], description: `type is ${type}, whatever the body says` }),
    responses: ingestResponses,
  },
});

const batch = {
  post: { summary: 'A batch of events of any type', security: [{ writeKey: [] }, {}], requestBody: requestBody(ref('Batch')), responses: ingestResponses },
};

const paths: Record<string, object> = { '/v1/batch': batch, '/v1/b': batch };
for (const type of SEGMENT_CALL_TYPES) {
  paths[`/v1/${type}`] = single(type, `One ${type} call`);
  paths[`/v1/${type[0]}`] = single(type, `One ${type} call (the short path of Segment's browser SDK)`);
}

export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'Telltale collector',
    version: '1',
    description: 'Segment HTTP API shape. Events are acknowledged only once Kafka has them. See README, "Sending events".',
  },
  paths: {
    ...paths,
    '/v1/projects/{writeKey}/settings': {
      get: {
        summary: "Settings Segment's browser SDK fetches at load: its Segment.io integration points back at this collector",
        parameters: [{ name: 'writeKey', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { '200': { description: 'analytics-next settings', content: json({ type: 'object' }) }, '404': error('Unknown write key') },
      },
    },
    '/openapi.json': { get: { summary: 'This document', responses: { '200': { description: 'OpenAPI 3.1', content: json({ type: 'object' }) } } } },
    '/healthz': { get: { summary: 'Health', responses: { '200': { description: 'Healthy' }, '503': { description: 'Unhealthy' } } } },
    '/metrics': { get: { summary: 'Prometheus metrics', responses: { '200': { description: 'text/plain exposition format' } } } },
  },
  components: {
    securitySchemes: {
      writeKey: { type: 'http', scheme: 'basic', description: 'The write key as user name, empty password; or a writeKey field in the body. None in open development mode.' },
    },
    schemas: {
      Event: {
        type: 'object',
        required: ['type'],
        description: 'Needs userId or anonymousId; event for track calls. Other fields are ignored.',
        properties: {
          type: { enum: [...SEGMENT_CALL_TYPES] },
          event: { type: 'string', maxLength: 256 },
          name: { type: 'string', maxLength: 256 },
          userId: id,
          anonymousId: id,
          groupId: { ...id, description: 'required for group calls' },
          previousId: { ...id, description: 'required for alias calls: the id the user had before' },
          messageId: { type: 'string', maxLength: 256 },
          timestamp: time,
          sentAt: time,
          properties: freeJson,
          traits: freeJson,
          context: freeJson,
          writeKey: { type: 'string' },
        },
      },
      Batch: {
        type: 'object',
        required: ['batch'],
        properties: { batch: { type: 'array', items: ref('Event') }, sentAt: time, context: freeJson, writeKey: { type: 'string' } },
      },
      Accepted: { type: 'object', required: ['success', 'accepted'], properties: { success: { const: true }, accepted: { type: 'integer' }, refusedForConsent } },
      Error: {
        type: 'object',
        required: ['error', 'reason'],
        properties: { error: { type: 'string' }, field: { type: ['string', 'null'] }, reason: { type: 'string' } },
      },
      InvalidEvents: {
        allOf: [ref('Error')],
        type: 'object',
        required: ['accepted', 'rejected'],
        properties: {
          accepted: { type: 'integer' },
          refusedForConsent,
          rejected: {
            type: 'array',
            items: {
              type: 'object',
              properties: { index: { type: 'integer' }, messageId: { type: ['string', 'null'] }, field: { type: 'string' }, reason: { type: 'string' } },
            },
          },
        },
      },
    },
  },
} as const;
