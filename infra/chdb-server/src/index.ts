export { startChdbServer, type ChdbServer, type ChdbServerOptions } from './server';
export type { Logger, LogEvent } from './log';
