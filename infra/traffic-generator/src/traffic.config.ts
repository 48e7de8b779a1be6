import { z } from 'zod';
import { env, loadConfig } from '@telltale/runtime';
import type { TrafficOptions } from './traffic-run';

/** The development write key `pnpm start` configures (source `dev`) and the traffic generator sends. */
export const DEV_WRITE_KEY = 'dev-write-key';

export const trafficEnv = {
  /** Where the collector listens. @default http://127.0.0.1:8080 */
  COLLECTOR_URL: env.url('http://127.0.0.1:8080'),
  /** The collector source's write key (`pnpm start` configures the collector with it). @default dev-write-key */
  TRAFFIC_WRITE_KEY: env.string(DEV_WRITE_KEY),
  /** Target events per second, long-run average. @default 100 */
  TRAFFIC_EVENTS_PER_S: z.coerce.number().positive().max(100_000).default(100),
  /** Stop after this many seconds. @default unlimited */
  TRAFFIC_DURATION_S: z.coerce.number().positive().optional(),
  /** Any text; the same seed replays the same visitors and messageIds. @default random */
  TRAFFIC_SEED: env.optionalString(),
  /**
   * Least gap between two sessions of one logged-in user, seconds; keep it above the enricher's
   * ENRICHER_SESSION_TIMEOUT_S so two visits do not merge into one session. @default 45
   */
  TRAFFIC_MIN_RETURN_GAP_S: z.coerce.number().min(0).default(45),
  /** @default info */
  LOG_LEVEL: env.logLevel(),
};

export type TrafficConfig = ReturnType<typeof loadTrafficConfig>;

export function loadTrafficConfig(vars: NodeJS.ProcessEnv = process.env) {
  return loadConfig(trafficEnv, vars);
}

/** The run options the TRAFFIC_* variables and COLLECTOR_URL set; the caller adds a logger (and may override the URL). */
export function trafficOptions(config: TrafficConfig): Pick<TrafficOptions, 'collectorUrl' | 'writeKey' | 'eventsPerSecond' | 'durationS' | 'seed' | 'simulator'> {
  return {
    collectorUrl: config.COLLECTOR_URL,
    writeKey: config.TRAFFIC_WRITE_KEY,
    eventsPerSecond: config.TRAFFIC_EVENTS_PER_S,
    durationS: config.TRAFFIC_DURATION_S,
    seed: config.TRAFFIC_SEED,
    simulator: { minReturnGapMs: config.TRAFFIC_MIN_RETURN_GAP_S * 1000 },
  };
}
