import { addFailure, type ScenarioResult } from '../fault-report';
import { DEADLINES, type PipelineUnderTest } from '../pipeline-under-test';
import { runLoadScenario } from '../load-scenario';
import { STACK_PROCESSES } from '../stack-state';

/**
 * As many events as the profile says, posted as fast as the collector takes them (batches of 50, 16 connections,
 * a new visitor per session): the pipeline must keep up without any stage falling over, and store every one.
 */
export async function burstScenario(pipeline: PipelineUnderTest): Promise<ScenarioResult> {
  const total = pipeline.run.profile.burstEvents;
  const result = await runLoadScenario(pipeline, 'burst', { maxEvents: total, connections: 16, batchSize: 50 }, async (driver) => {
    // The burst itself is the fault; recovery is counted from its last acknowledgement.
    if (!(await driver.drained(DEADLINES.arrivalMs))) {
      throw new Error(`the burst was not acknowledged within ${DEADLINES.arrivalMs / 1000} s: ${driver.acknowledged.size} of ${total}`);
    }
    return { recoverFrom: Date.now() };
  });
  // The burst runs first on a fresh stack: nothing may have restarted, warm-up included.
  const state = pipeline.stack.state();
  const restarted = STACK_PROCESSES.filter((name) => (state?.processes[name]?.restarts ?? 0) > 0);
  if (restarted.length > 0) {
    addFailure(
      result,
      `processes restarted under the burst: ${restarted.map((name) => `${name} ×${state?.processes[name]?.restarts}`).join(', ')}\n` +
        restarted.map((name) => pipeline.stack.logErrors(name)).join('\n'),
    );
  }
  return result;
}
