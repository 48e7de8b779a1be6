import { LAG_METRIC } from '../consumer-lag';
import { addFailure, type ScenarioResult } from '../fault-report';
import { runLoadScenario } from '../load-scenario';
import type { PipelineUnderTest } from '../pipeline-under-test';
import { sleep } from '../stack-processes';
import { STACK_PROCESSES } from '../stack-state';

/**
 * Under steady load, freeze the ClickHouse server (SIGSTOP: it holds its connections but answers nothing, like a
 * server stuck in a long GC or a full disk), then SIGCONT. The sink must wait and retry, not lose or skip; its
 * consumer lag must show the backlog while ClickHouse is stopped, and drain after.
 */
export async function clickhouseStopScenario(pipeline: PipelineUnderTest): Promise<ScenarioResult> {
  const { profile } = pipeline.run;
  const { stack, lag } = pipeline;
  let window: { from: number; to: number } | undefined;
  const result = await runLoadScenario(pipeline, 'clickhouse-stop', { eventsPerSecond: profile.steadyEventsPerS }, async (_driver, faults) => {
    await sleep(profile.loadBetweenFaultsMs);
    const from = Date.now();
    const pid = stack.signal('clickhouse', 'SIGSTOP');
    try {
      faults.push({ target: 'clickhouse', signal: 'SIGSTOP', pid, at: from });
      await sleep(profile.clickhouseStopMs);
    } finally {
      // NOTE: in finally: a frozen ClickHouse left behind would hang every later scenario and the stack's stop.
      process.kill(pid, 'SIGCONT');
    }
    window = { from, to: Date.now() };
    await sleep(profile.loadBetweenFaultsMs);
    return { recoverFrom: window.to };
  });
  // "Pauses and retries" means no process gives up while ClickHouse is frozen: a restart (e.g. a sink whose blocked
  // insert outlived its consumer-group session) recovers, but it is a crash, not a pause.
  const restarted = STACK_PROCESSES.filter((name) => (result.restarts[name] ?? 0) > 0);
  if (restarted.length > 0) {
    addFailure(
      result,
      `restarted while ClickHouse was stopped, instead of pausing: ${restarted.map((name) => `${name} ×${result.restarts[name]}`).join(', ')}\n` +
        restarted.map((name) => stack.logErrors(name)).join('\n'),
    );
  }
  if (window) {
    const lagWhileStopped = lag.max('sink', window.from, window.to);
    result.notes.push(`sink consumer lag while ClickHouse was stopped: max ${lagWhileStopped ?? 'never read'} over ${((window.to - window.from) / 1000).toFixed(0)} s`);
    if (lagWhileStopped === null || lagWhileStopped <= 0) {
      addFailure(
        result,
        `the sink's ${LAG_METRIC} never showed the backlog while ClickHouse was stopped (max ${lagWhileStopped ?? 'no sample'}): ` +
          `a stall is invisible to monitoring\n${stack.logTail('sink')}`,
      );
    }
  }
  return result;
}
