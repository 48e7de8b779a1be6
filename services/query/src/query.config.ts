import { clickhouseEnv } from '@telltale/clickhouse';
import { commonEnv, env, loadConfig } from '@telltale/runtime';
import { z } from 'zod';

/** `key:name` pairs: a read key and who holds it (logged and counted by name, never by key). */
export function parseReadKeys(text: string): Array<{ key: string; name: string }> | undefined {
  const pairs = text
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)
    .map((item) => {
      const at = item.lastIndexOf(':');
      return { key: item.slice(0, at), name: item.slice(at + 1) };
    });
  const valid = pairs.length > 0 && pairs.every((p) => p.key.length >= 8 && /^[a-z][a-z0-9_-]*$/.test(p.name));
  return valid ? pairs : undefined;
}

export const queryEnv = {
  // KAFKA_BROKERS, TOPIC_PREFIX: the predictions and identities topics it follows; LOG_LEVEL.
  ...commonEnv,
  ...clickhouseEnv,
  /** The API, /openapi.json, /healthz and /metrics. @default 8070 */
  PORT: env.port(8070),
  /** @default 0.0.0.0 */
  HOST: env.string('0.0.0.0'),
  /** PEM certificate (chain) and key files: both set, the API serves HTTPS only (loadTlsFiles). @default unset: plain HTTP */
  QUERY_TLS_CERT_FILE: env.optionalString(),
  QUERY_TLS_KEY_FILE: env.optionalString(),
  /**
   * Read keys, comma-separated `key:name` pairs (a key of at least 8 characters; the name in lowercase). Required: the
   * API answers 401 without one of them. Distinct from the collector's write keys: a write key reads nothing here, a
   * read key writes nothing there.
   */
  QUERY_READ_KEYS: z
    .string({ required_error: 'required: comma-separated key:name pairs (pnpm start sets a development key)' })
    .refine((s) => parseReadKeys(s) !== undefined, 'expected key:name[,key:name…], keys of 8+ characters, names in lowercase')
    .transform((s) => parseReadKeys(s)!),
  /** Requests per second each read key may make, sustained. @default 1000 */
  QUERY_RATE_LIMIT_PER_S: env.int(1_000, 1),
  /** Requests a read key may make at once above the sustained rate (the token bucket's size). @default 2000 */
  QUERY_RATE_LIMIT_BURST: env.int(2_000, 1),
  /** Longest a query may take before the API answers 503, ms. @default 10000 */
  QUERY_TIMEOUT_MS: env.int(10_000, 100),
  /** The model POST /v1/score uses and calibration defaults to. @default purchase_propensity */
  MODEL_NAME: env.string('purchase_propensity'),
  /**
   * How reads are kept read-only. `setting`: each query carries readonly=1 (the embedded chdb-server, or a user that
   * may write); `user`: CLICKHOUSE_USER's profile is read-only already (Compose's telltale_reader). @default setting
   */
  QUERY_CLICKHOUSE_READONLY: z.enum(['setting', 'user']).default('setting'),
  /** Most user keys whose latest prediction is kept in memory (GET /v1/users/{id}/prediction). @default 200000 */
  QUERY_PREDICTION_KEYS: env.int(200_000, 1),
};

export type QueryConfig = ReturnType<typeof loadQueryConfig>;

export function loadQueryConfig(vars: NodeJS.ProcessEnv = process.env) {
  return loadConfig(queryEnv, vars);
}
