import type { ScenarioResult } from '../fault-report';
import { faultAndRestart, runLoadScenario } from '../load-scenario';
import type { PipelineUnderTest } from '../pipeline-under-test';
import { sleep } from '../stack-processes';

/**
 * Under steady load, SIGTERM the broker; the supervisor starts it again. The collector must not answer 200 for an
 * event the broker did not acknowledge, so every 200'd event is stored; the clients' retries carry the rest.
 */
export function brokerRestartScenario(pipeline: PipelineUnderTest): Promise<ScenarioResult> {
  const { profile } = pipeline.run;
  return runLoadScenario(pipeline, 'broker-restart', { eventsPerSecond: profile.steadyEventsPerS }, async (_driver, faults) => {
    await sleep(profile.loadBetweenFaultsMs);
    faults.push(await faultAndRestart(pipeline.stack, 'kafka', 'SIGTERM'));
    await sleep(profile.loadBetweenFaultsMs);
  });
}
