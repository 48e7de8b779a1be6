export { startChdbServer, type ChdbServer, type ChdbServerOptions } from './server';
export { loadConfig, ConfigError, type ChdbServerConfig } from './config';
export { jsonLogger, type Logger, type LogEvent } from './log';
