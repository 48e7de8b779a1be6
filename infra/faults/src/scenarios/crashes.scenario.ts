import type { ScenarioResult } from '../fault-report';
import { faultAndRestart, runLoadScenario } from '../load-scenario';
import type { PipelineUnderTest } from '../pipeline-under-test';
import { sleep } from '../stack-processes';

/**
 * Under steady load, kill -9 each process of the profile's list in turn, each time waiting for the supervisor to
 * run it again (new pid, healthy) and letting the load run on before the next. Nothing acknowledged may be lost;
 * duplicates before FINAL are allowed (the enricher's de-duplication memory dies with it) and reported.
 */
export function crashesScenario(pipeline: PipelineUnderTest): Promise<ScenarioResult> {
  const { profile } = pipeline.run;
  return runLoadScenario(pipeline, 'crashes', { eventsPerSecond: profile.steadyEventsPerS }, async (_driver, faults) => {
    for (const target of profile.crashTargets) {
      await sleep(profile.loadBetweenFaultsMs);
      faults.push(await faultAndRestart(pipeline.stack, target, 'SIGKILL'));
    }
    await sleep(profile.loadBetweenFaultsMs);
  });
}
