import type { StackProcessName } from './stack-state';

/** What one run of the suite does: `short` for CI (a few minutes on 2 cores), `full` for `pnpm test:faults`. */
export interface FaultsProfile {
  name: 'short' | 'full';
  /** Events posted as fast as the collector takes them. */
  burstEvents: number;
  /** Processes killed with SIGKILL, in this order, one after the other (the supervisor restarts each). */
  crashTargets: StackProcessName[];
  /** Steady load during the crash, broker and ClickHouse scenarios, events/s. */
  steadyEventsPerS: number;
  /** Load kept running between two faults, so every fault hits a pipeline with work in flight. */
  loadBetweenFaultsMs: number;
  /** How long the ClickHouse server stays SIGSTOPped. */
  clickhouseStopMs: number;
}

export const SCENARIOS = ['burst', 'crashes', 'broker-restart', 'clickhouse-stop', 'launcher-sighup', 'launcher-kill'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

const ONE_OF_EACH: StackProcessName[] = ['collector', 'enricher', 'sink', 'scorer', 'trainer', 'clickhouse', 'kafka'];

const PROFILES: Record<FaultsProfile['name'], FaultsProfile> = {
  short: {
    name: 'short',
    burstEvents: 20_000,
    crashTargets: ['collector', 'enricher', 'sink', 'clickhouse', 'kafka'],
    steadyEventsPerS: 300,
    loadBetweenFaultsMs: 3_000,
    clickhouseStopMs: 10_000,
  },
  full: {
    name: 'full',
    burstEvents: 100_000,
    // Three rounds of every process: 21 kills.
    crashTargets: [...ONE_OF_EACH, ...ONE_OF_EACH, ...ONE_OF_EACH],
    steadyEventsPerS: 600,
    loadBetweenFaultsMs: 5_000,
    clickhouseStopMs: 30_000,
  },
};

/**
 * FAULTS_PROFILE (short | full, default short) and FAULTS_SCENARIOS (comma-separated subset, default all).
 * Unknown values are refused, so a typo never silently runs less than asked.
 */
export function loadFaultsProfile(vars: NodeJS.ProcessEnv = process.env): { profile: FaultsProfile; scenarios: Set<ScenarioName> } {
  const name = vars.FAULTS_PROFILE || 'short';
  if (name !== 'short' && name !== 'full') throw new Error(`FAULTS_PROFILE=${JSON.stringify(name)}: expected short or full`);
  const wanted = (vars.FAULTS_SCENARIOS || SCENARIOS.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = wanted.filter((s) => !(SCENARIOS as readonly string[]).includes(s));
  if (unknown.length > 0) throw new Error(`FAULTS_SCENARIOS: unknown ${unknown.join(', ')}; expected some of ${SCENARIOS.join(', ')}`);
  return { profile: PROFILES[name], scenarios: new Set(wanted as ScenarioName[]) };
}
