export { loadConfig, ConfigError, env, commonEnv } from './config';
export { createLogger, type Logger } from './logger';
export { createMetricsRegistry, Counter, Gauge, Histogram, Registry } from './metrics';
export { startAdminServer, handleAdminRequest, type AdminServer, type HealthCheck } from './admin-server';
export { ServiceLifecycle, runMain, type StopCause } from './lifecycle';
export { runService, startService, type ServiceContext, type ServiceDefinition, type ServiceHandle, type StartedService } from './service-host';
export { withRetry, isRetriable, type RetryOptions } from './retry';
export { loadTlsFiles, type TlsFiles } from './tls';
export { parseMetricsText, sumOf, countOf, maxOf, CounterRate, type MetricSample } from './metrics-text';
