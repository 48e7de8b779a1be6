import type { FastifyInstance } from 'fastify';
import { createLogger, createMetricsRegistry } from '@telltale/runtime';
import { buildCollectorServer, type CollectorDeps } from './collector.server';

/**
 * The collector server as every test builds it: silent logs, its own metrics registry, small limits (64 KiB bodies,
 * 10 events a batch) and no client IPs kept; the test brings the Kafka side and overrides what it is about.
 */
export function buildTestCollectorServer(
  deps: Pick<CollectorDeps, 'producer' | 'deadLetters' | 'topics'> & Partial<CollectorDeps>,
): FastifyInstance {
  return buildCollectorServer({
    logger: createLogger('test', process.env.TEST_LOG_LEVEL ?? 'silent'),
    registry: createMetricsRegistry('collector'),
    health: {},
    maxBodyBytes: 64 * 1024,
    maxBatchEvents: 10,
    keepIp: false,
    ...deps,
  });
}
