import { addFailure, newResult, renderTable, writeReport, type ScenarioResult } from './fault-report';
import { loadFaultsProfile, type ScenarioName } from './faults-profile';
import { finish } from './load-scenario';
import { FAULTS_DIR, newFaultsRun } from './faults-run';
import { openPipeline, type PipelineUnderTest } from './pipeline-under-test';
import { brokerRestartScenario } from './scenarios/broker-restart.scenario';
import { burstScenario } from './scenarios/burst.scenario';
import { clickhouseStopScenario } from './scenarios/clickhouse-stop.scenario';
import { crashesScenario } from './scenarios/crashes.scenario';
import { launcherExitScenario } from './scenarios/launcher-exit.scenario';

// The load-and-fault suite: the real pipeline as `pnpm start` runs it, under bursts and faults. FAULTS_PROFILE=short
// (default; CI) or full (`pnpm test:faults`); FAULTS_SCENARIOS=burst,crashes,... runs a subset. Each test asserts
// its scenario's guarantees; the table of every scenario is printed and written to .local/faults/ whatever happens.

const { profile, scenarios } = loadFaultsProfile();
const say = (line: string) => process.stderr.write(`[faults] ${line}\n`);
const run = newFaultsRun(profile, say);
const results: ScenarioResult[] = [];
const MINUTE = 60_000;
const timeoutMs = profile.name === 'full' ? 90 * MINUTE : 20 * MINUTE;

/** A test per scenario: its result goes to the report, its failures (with their evidence) fail the test. */
function scenarioTest(name: ScenarioName | 'stack-stop', runScenario: () => Promise<ScenarioResult>, selected = scenarios.has(name as ScenarioName)): void {
  (selected ? test : test.skip)(
    name,
    async () => {
      const t0 = Date.now();
      let result: ScenarioResult;
      try {
        result = await runScenario();
      } catch (err) {
        result = newResult(name);
        result.failures.push((err as Error).message);
        finish(result, t0);
      }
      results.push(result);
      say(`${name}: ${result.ok ? 'ok' : 'FAILED'} in ${(result.durationMs / 1000).toFixed(0)} s`);
      if (!result.ok) throw new Error(`${name} failed:\n${result.failures.join('\n\n')}`);
    },
    timeoutMs,
  );
}

afterAll(() => {
  const file = writeReport(FAULTS_DIR, { runId: run.runId, profile: profile.name, startedAt: run.startedAt, results });
  say(`\n${renderTable(results, `load-and-fault suite, ${profile.name} profile, run ${run.runId}`)}\nreport: ${file}\n`);
});

const SHARED: ScenarioName[] = ['burst', 'crashes', 'broker-restart', 'clickhouse-stop'];

describe('one stack: burst, crashes, broker restart, ClickHouse stopped', () => {
  let opening: Promise<PipelineUnderTest> | undefined;
  // Opened by the first test that needs it, so a run of only the launcher scenarios starts no extra stack.
  const pipeline = (): Promise<PipelineUnderTest> => (opening ??= openPipeline(run, 'pipeline', say));

  scenarioTest('burst', async () => burstScenario(await pipeline()));
  scenarioTest('crashes', async () => crashesScenario(await pipeline()));
  scenarioTest('broker-restart', async () => brokerRestartScenario(await pipeline()));
  scenarioTest('clickhouse-stop', async () => clickhouseStopScenario(await pipeline()));
  // The ordinary stop of the shared stack is checked too: SIGTERM to the launcher leaves no process behind.
  scenarioTest(
    'stack-stop',
    async () => {
      const t0 = Date.now();
      const result = newResult('stack-stop');
      const { exitCode, leftovers } = await (await pipeline()).close();
      opening = undefined;
      result.notes.push(`launcher exit code ${exitCode ?? 'none (did not exit)'}`);
      if (exitCode !== 0) addFailure(result, `the launcher did not exit 0 after SIGTERM (${exitCode ?? 'no exit within the deadline'})`);
      if (leftovers.length > 0) addFailure(result, `left after SIGTERM to the launcher: ${leftovers.map((p) => `${p.pid} ${p.command}`).join('; ')}`);
      return finish(result, t0);
    },
    SHARED.some((s) => scenarios.has(s)),
  );

  afterAll(async () => {
    // Only when stack-stop did not run (a failure before it): never leave the stack running.
    const open = await opening?.catch(() => undefined);
    await open?.close();
  }, 5 * MINUTE);
});

describe('the launcher goes away', () => {
  scenarioTest('launcher-sighup', () => launcherExitScenario(run, 'launcher-sighup'));
  scenarioTest('launcher-kill', () => launcherExitScenario(run, 'launcher-kill'));
});
