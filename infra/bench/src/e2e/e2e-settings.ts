import path from 'node:path';
import { REPO_ROOT } from '@telltale/local-stack';

/**
 * What `pnpm bench e2e` runs. BENCH_E2E_PROFILE=full (default) is the committed measurement; quick is for iterating
 * (a few minutes). Every field can be overridden by its own variable.
 */
export interface E2eSettings {
  profile: 'full' | 'quick';
  /** Offered rates, events/s, stepped up until the pipeline saturates. BENCH_E2E_RATES (comma-separated). */
  rates: number[];
  /** Seconds of load per step. BENCH_E2E_STEP_S */
  stepSeconds: number;
  /** The memory run: seconds at soakRate (0 = none). BENCH_E2E_SOAK_S */
  soakSeconds: number;
  /**
   * BENCH_E2E_SOAK_RATE; @default undefined: the highest step rate that kept up (accepted ≥ 90 % and drained), the
   * rate the memory target is about. See chooseSoakRate.
   */
  soakRate: number | undefined;
  /** After a step's load stops, how long every acknowledged event gets to be queryable. BENCH_E2E_DRAIN_S */
  drainSeconds: number;
  /** One event in this many is a latency marker. BENCH_E2E_MARK_EVERY */
  markEvery: number;
  /** Events per request and requests in flight of the load driver. BENCH_E2E_BATCH, BENCH_E2E_CONNECTIONS */
  batchSize: number;
  connections: number;
  /** Records ProducerPerformance sends (ConsumerPerformance reads them back). BENCH_E2E_CEILING_RECORDS */
  ceilingRecords: number;
  /** Seconds the collector and the sink each run alone at their limit. BENCH_E2E_ALONE_S */
  aloneSeconds: number;
  /** The stages alone and the Kafka tools' ceilings, with the pipeline idle. BENCH_E2E_CEILINGS=0 skips them. */
  ceilings: boolean;
  /** The trainer on growing history, last, with the pipeline idle (history-scaling.ts). BENCH_E2E_HISTORY=0 skips it. */
  history: boolean;
  /** Events of history per measurement, smallest first. BENCH_E2E_HISTORY_SIZES (comma-separated) */
  historySizes: number[];
  /** BENCH_E2E_CPU_PROF=1: every service (and the alone runs) under `node --cpu-prof`; summary in profiles.md. */
  cpuProfile: boolean;
  /** The stack's own directory (wiped first): <TELLTALE_LOCAL_DIR or .local>/bench-e2e. */
  dir: string;
  /** TELLTALE_PORT_OFFSET; @default 23000 */
  portOffset: number;
  /** bench/results: e2e.{json,md,svg} (full) or e2e-<profile>.* */
  resultsDir: string;
}

const PROFILES: Record<E2eSettings['profile'], Omit<E2eSettings, 'profile' | 'cpuProfile' | 'dir' | 'portOffset' | 'resultsDir' | 'soakRate' | 'history' | 'ceilings'>> = {
  full: {
    // The targets' rates (2,500 and 5,000 for CPU and latency, 10,000 sustained) and two above, to see the knee.
    rates: [2_500, 5_000, 10_000, 15_000, 20_000],
    stepSeconds: 60,
    soakSeconds: 600,
    drainSeconds: 120,
    markEvery: 50,
    batchSize: 50,
    connections: 64,
    ceilingRecords: 1_000_000,
    aloneSeconds: 30,
    historySizes: [1_000_000, 10_000_000],
  },
  quick: {
    rates: [2_500, 5_000, 10_000, 15_000],
    stepSeconds: 15,
    soakSeconds: 60,
    drainSeconds: 60,
    markEvery: 25,
    batchSize: 50,
    connections: 64,
    ceilingRecords: 300_000,
    aloneSeconds: 10,
    // The same tenfold step as the target's 1 M → 10 M, a tenth of the rows and of the time: it shows whether the
    // trainer's cost follows history, in minutes less; the verdict needs the full profile's sizes.
    historySizes: [100_000, 1_000_000],
  },
};

export function e2eSettings(env: NodeJS.ProcessEnv = process.env): E2eSettings {
  const profile = (env.BENCH_E2E_PROFILE?.trim() || 'full') as E2eSettings['profile'];
  if (!(profile in PROFILES)) throw new Error(`BENCH_E2E_PROFILE must be one of ${Object.keys(PROFILES).join(', ')}, got ${JSON.stringify(profile)}`);
  const base = PROFILES[profile];
  const int = (name: string, fallback: number, min = 0): number => {
    const raw = env[name]?.trim();
    if (!raw) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer ≥ ${min}, got ${JSON.stringify(raw)}`);
    return n;
  };
  const ratesRaw = env.BENCH_E2E_RATES?.trim();
  const rates = ratesRaw ? ratesRaw.split(',').map((r) => Number(r.trim())) : base.rates;
  if (rates.some((r) => !Number.isInteger(r) || r <= 0)) throw new Error(`BENCH_E2E_RATES must be positive integers, got ${JSON.stringify(ratesRaw)}`);
  const sizesRaw = env.BENCH_E2E_HISTORY_SIZES?.trim();
  const historySizes = sizesRaw ? sizesRaw.split(',').map((r) => Number(r.trim())) : base.historySizes;
  if (historySizes.length === 0 || historySizes.some((r) => !Number.isInteger(r) || r <= 0)) {
    throw new Error(`BENCH_E2E_HISTORY_SIZES must be positive integers, got ${JSON.stringify(sizesRaw)}`);
  }
  const historyRaw = env.BENCH_E2E_HISTORY?.trim() || '1';
  if (!['0', '1', 'false', 'true'].includes(historyRaw)) throw new Error(`BENCH_E2E_HISTORY must be 0 or 1, got ${JSON.stringify(historyRaw)}`);
  const ceilingsRaw = env.BENCH_E2E_CEILINGS?.trim() || '1';
  if (!['0', '1', 'false', 'true'].includes(ceilingsRaw)) throw new Error(`BENCH_E2E_CEILINGS must be 0 or 1, got ${JSON.stringify(ceilingsRaw)}`);
  const soakRateRaw = env.BENCH_E2E_SOAK_RATE?.trim();
  const localDir = path.resolve(env.TELLTALE_LOCAL_DIR?.trim() || path.join(REPO_ROOT, '.local'));
  return {
    profile,
    rates,
    stepSeconds: int('BENCH_E2E_STEP_S', base.stepSeconds, 1),
    soakSeconds: int('BENCH_E2E_SOAK_S', base.soakSeconds),
    soakRate: soakRateRaw ? int('BENCH_E2E_SOAK_RATE', 0, 1) : undefined,
    drainSeconds: int('BENCH_E2E_DRAIN_S', base.drainSeconds, 1),
    markEvery: int('BENCH_E2E_MARK_EVERY', base.markEvery, 2),
    batchSize: int('BENCH_E2E_BATCH', base.batchSize, 1),
    connections: int('BENCH_E2E_CONNECTIONS', base.connections, 1),
    ceilingRecords: int('BENCH_E2E_CEILING_RECORDS', base.ceilingRecords, 1000),
    aloneSeconds: int('BENCH_E2E_ALONE_S', base.aloneSeconds, 1),
    ceilings: ceilingsRaw === '1' || ceilingsRaw === 'true',
    history: historyRaw === '1' || historyRaw === 'true',
    historySizes,
    cpuProfile: env.BENCH_E2E_CPU_PROF === '1' || env.BENCH_E2E_CPU_PROF === 'true',
    dir: path.join(localDir, 'bench-e2e'),
    portOffset: int('TELLTALE_PORT_OFFSET', 23_000),
    resultsDir: path.join(REPO_ROOT, 'bench', 'results'),
  };
}
