import pino, { type Logger } from 'pino';

export type { Logger };

/** JSON lines on stdout with the service name on every line; no pretty-printing in the process itself. */
export function createLogger(service: string, level = 'info'): Logger {
  return pino({
    name: service,
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}
