import { z } from 'zod';

/** A configuration problem found at start-up; the message names every offending variable. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Builds a service's typed config from env. Each key of `shape` is the environment variable's name;
 * unknown variables are ignored, bad values fail fast with the variable, the value and the reason.
 */
export function loadConfig<S extends z.ZodRawShape>(
  shape: S,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<z.ZodObject<S>> {
  // NOTE: empty strings count as unset, so `FOO= cmd` falls back to the default instead of failing as a number.
  const present = Object.fromEntries(
    Object.keys(shape)
      .map((key) => [key, env[key]] as const)
      .filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = z.object(shape).safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = String(issue.path[0]);
        const value = present[name];
        // NOTE: a secret's value is never echoed: the error goes to logs.
        const shown = value === undefined ? '' : SECRET_NAME.test(name) ? ' (value not shown)' : `=${JSON.stringify(value)}`;
        return `${name}${shown}: ${issue.message}`;
      }),
    );
  }
  return parsed.data;
}

/** Variables whose values are secrets: named in errors, never shown. */
const SECRET_NAME = /(SECRET|PASSWORD|_KEY)$/;

/** Field helpers: env values are strings; these coerce and check them. */
export const env = {
  port: (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback),
  int: (fallback: number, min = 0) => z.coerce.number().int().min(min).default(fallback),
  string: (fallback: string) => z.string().min(1).default(fallback),
  optionalString: () => z.string().min(1).optional(),
  url: (fallback: string) => z.string().url().default(fallback),
  /** Comma-separated, non-empty list whose every item passes `isValid`; `message` says what is expected. */
  list: (fallback: string, isValid: (item: string) => boolean, message: string) =>
    z
      .string()
      .default(fallback)
      .transform((s) => s.split(',').map((item) => item.trim()).filter(Boolean))
      .refine((list) => list.length > 0 && list.every(isValid), message),
  /** Comma-separated host:port list. */
  brokers: (fallback: string) => env.list(fallback, (b) => /^[^\s:]+:\d+$/.test(b), 'expected host:port[,host:port…]'),
  logLevel: () => z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  boolean: (fallback: boolean) =>
    z
      .enum(['true', 'false', '1', '0'])
      .default(fallback ? 'true' : 'false')
      .transform((v) => v === 'true' || v === '1'),
};

/** Variables every service reads. */
export const commonEnv = {
  /** Comma-separated bootstrap brokers. @default 127.0.0.1:9092 */
  KAFKA_BROKERS: env.brokers('127.0.0.1:9092'),
  /** Prepended to every topic name (several pipelines on one cluster, or tests). @default '' */
  TOPIC_PREFIX: z.string().default(''),
  /**
   * Largest produce request, bytes. Unset: learnt from the topics' max.message.bytes at connect (minus a margin),
   * which is right unless a proxy or quota in between is stricter.
   */
  KAFKA_MAX_REQUEST_BYTES: z.coerce.number().int().min(16 * 1024).optional(),
  /** pino level. @default info */
  LOG_LEVEL: env.logLevel(),
};
