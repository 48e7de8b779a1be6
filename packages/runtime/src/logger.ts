import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * JSON lines with the service name on every line; no pretty-printing in the process itself.
 * Logs go to stdout, except for CLIs whose stdout is their result: they pass `toStderr` so a log
 * line can never be mistaken for (or interleave with) that result.
 */
export function createLogger(service: string, level = 'info', options: { toStderr?: boolean } = {}): Logger {
  const settings = {
    name: service,
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  return options.toStderr ? pino(settings, pino.destination(2)) : pino(settings);
}
