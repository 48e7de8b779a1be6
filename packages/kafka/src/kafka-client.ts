import { Kafka, logLevel, type LogEntry } from 'kafkajs';
import type { Logger, Registry } from '@telltale/runtime';
import { requestsCounter } from './consumer-metrics';
import { installEncoderFastPaths } from './kafkajs-fast-paths';
import { clampRequestQueueTimers } from './kafkajs-timer-fix';
import { cacheCoordinators } from './coordinator-cache';

export interface KafkaSettings {
  brokers: string[];
  clientId: string;
  /** Connection timeout per broker. @default 3000 */
  connectionTimeoutMs?: number;
}

/** Our handle on a cluster. Services never see kafkajs types, so another client can replace it here alone. */
export interface KafkaClient {
  readonly clientId: string;
  /** @internal for this package */
  readonly kafka: Kafka;
  readonly logger: Logger;
}

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

export function createKafkaClient(settings: KafkaSettings, logger: Logger, opts: { /** Where requests are counted by API. */ registry?: Registry } = {}): KafkaClient {
  clampRequestQueueTimers();
  installEncoderFastPaths();
  const kafkaLogger = logger.child({ component: 'kafkajs' });
  const kafka = new Kafka({
    clientId: settings.clientId,
    brokers: settings.brokers,
    connectionTimeout: settings.connectionTimeoutMs ?? 3000,
    // kafkajs INFO is chatty (every join/leave); keep WARN+ unless the service logs at debug.
    logLevel: kafkaLogger.isLevelEnabled('debug') ? logLevel.DEBUG : logLevel.WARN,
    logCreator:
      () =>
      ({ level, log }: LogEntry) => {
        const { message, ...extra } = log;
        kafkaLogger[LEVELS[level] ?? 'info'](extra, message);
      },
    retry: { initialRetryTime: 200, retries: 8, maxRetryTime: 10_000 },
  });
  const requests = opts.registry ? requestsCounter(opts.registry) : undefined;
  if (!cacheCoordinators(kafka, undefined, requests && ((api) => requests.inc({ api }))).installed) kafkaLogger.warn('kafkajs internals changed: coordinators are looked up before every transactional request');
  return { clientId: settings.clientId, kafka, logger };
}
