import { newResult, type FaultRecord, type ScenarioResult } from './fault-report';
import type { ScenarioName } from './faults-profile';
import { LoadDriver, type LoadStats } from './load-driver';
import { DEADLINES, type PipelineUnderTest } from './pipeline-under-test';
import { ShopperEvents } from './shopper-events';
import type { StackHandle } from './stack-handle';
import type { StackProcessName, StackState } from './stack-state';

export interface LoadShape {
  /** @default as fast as the collector answers */
  eventsPerSecond?: number;
  /** @default until the faults are done */
  maxEvents?: number;
  /** @default 16 */
  connections?: number;
  /** @default 50 */
  batchSize?: number;
}

/** What a scenario does to the stack while the load runs. */
export type FaultInjection = (driver: LoadDriver, faults: FaultRecord[]) => Promise<{ recoverFrom?: number } | void>;

const SAMPLE_IDS = 5;

/**
 * The frame every load scenario shares: wait until the whole stack is healthy, drive load with the scenario's own
 * messageId prefix while `inject` runs its faults, stop the load (retrying what is in flight), then wait for every
 * acknowledged event to be queryable with a prediction, and count. Whatever goes wrong becomes a failure with its
 * evidence; the result is always returned, so the report shows every scenario.
 */
export async function runLoadScenario(pipeline: PipelineUnderTest, scenario: ScenarioName, shape: LoadShape, inject: FaultInjection): Promise<ScenarioResult> {
  const { stack, verifier, lag } = pipeline;
  const result = newResult(scenario);
  const t0 = Date.now();
  await stack.waitReady(DEADLINES.restartMs);
  const restartsBefore = restartCounts(stack.state());

  const prefix = `${pipeline.run.runId}-${scenario}-`;
  const driver = new LoadDriver({ collectorUrl: pipeline.collectorUrl, source: new ShopperEvents(prefix), ...shape }).start();
  let recoverFrom: number | undefined;
  try {
    recoverFrom = (await inject(driver, result.faults))?.recoverFrom;
  } catch (err) {
    result.failures.push(`fault injection: ${(err as Error).message}`);
  }
  const load = await driver.stop(DEADLINES.loadStopMs);
  const loadEndAt = Date.now();
  result.load = load;
  result.acknowledged = driver.acknowledged.size;
  result.notes.push(describeLoad(load));
  if (result.faults.length > 0) result.notes.push(`faults: ${result.faults.map(describeFault).join(', ')}`);

  const arrival = await verifier.waitForArrival(prefix, driver.acknowledged, { timeoutMs: DEADLINES.arrivalMs, predictions: true });
  const counts = await verifier.eventCounts(prefix).catch((err: Error) => {
    result.failures.push(`could not count rows: ${err.message}`);
    return undefined;
  });
  const lastFault = result.faults[result.faults.length - 1];
  if (arrival.completeAt !== null) result.recoverMs = arrival.completeAt - (recoverFrom ?? lastFault?.at ?? loadEndAt);
  result.restarts = restartDelta(restartsBefore, restartCounts(stack.state()));
  const unprovoked = Object.entries(result.restarts)
    .map(([name, n]) => [name, n - result.faults.filter((f) => f.target === name).length] as const)
    .filter(([, n]) => n > 0);
  if (unprovoked.length > 0) {
    result.notes.push(`restarted without a fault of their own: ${unprovoked.map(([name, n]) => `${name} ×${n}`).join(', ')} (see their logs)`);
  }
  result.maxSinkLag = lag.max('sink', t0, Date.now());
  result.lagByService = lag.maxByService(t0, Date.now());

  if (arrival.missingEvents === null) {
    result.failures.push(`could not check events in ClickHouse: ${arrival.lastError ?? 'unknown error'}`);
  } else {
    result.lost = arrival.missingEvents.length;
    result.rowsFound = driver.acknowledged.size - result.lost;
    if (result.lost > 0) {
      result.failures.push(
        `${result.lost} of ${driver.acknowledged.size} acknowledged events have no row in events ${DEADLINES.arrivalMs / 1000} s after the load stopped ` +
          `(e.g. ${arrival.missingEvents.slice(0, SAMPLE_IDS).join(', ')}; sink lag max ${result.maxSinkLag ?? 'never read'})\n` +
          `${stack.logTail('enricher')}\n${stack.logTail('sink')}`,
      );
    }
  }
  if (arrival.missingPredictions === null) {
    result.failures.push(`could not check predictions in ClickHouse: ${arrival.lastError ?? 'unknown error'}`);
  } else {
    result.missingPredictions = arrival.missingPredictions.length;
    if (result.missingPredictions > 0) {
      result.failures.push(
        `${result.missingPredictions} acknowledged events have no prediction although a model was live ` +
          `(e.g. ${arrival.missingPredictions.slice(0, SAMPLE_IDS).join(', ')})\n${stack.logTail('scorer')}`,
      );
    }
  }
  if (counts) {
    result.rows = counts.rows;
    result.rowsFinal = counts.rowsFinal;
    result.uniqueIds = counts.uniqueIds;
    result.duplicatesBeforeFinal = counts.rows - counts.uniqueIds;
    if (counts.rowsFinal !== counts.uniqueIds) {
      result.failures.push(`count() FINAL = ${counts.rowsFinal} but uniqExact(message_id) = ${counts.uniqueIds}: some duplicates do not collapse (different sorting key)`);
    }
    if (result.rowsFound !== null && counts.uniqueIds > result.rowsFound) {
      result.notes.push(`${counts.uniqueIds - result.rowsFound} events stored that were never acknowledged (a request that failed after the broker took it)`);
    }
  }
  if (driver.acknowledged.size === 0) {
    result.failures.push(`no event was acknowledged (answers ${JSON.stringify(load.answers)})\n${stack.logTail('collector')}`);
  }
  if (load.rejected > 0) result.failures.push(`${load.rejected} events refused by the collector: ${load.refusals.join(' | ')}`);
  if (load.abandoned > 0) {
    result.failures.push(
      `${load.abandoned} events were never acknowledged: still failing ${DEADLINES.loadStopMs / 1000} s after the load stopped ` +
        `(answers ${JSON.stringify(load.answers)})\n${stack.logTail('collector')}`,
    );
  }
  return finish(result, t0);
}

export function finish(result: ScenarioResult, t0: number): ScenarioResult {
  result.durationMs = Date.now() - t0;
  result.ok = result.failures.length === 0;
  return result;
}

/**
 * SIGKILL/SIGTERM `target`, then wait for the supervisor to run it again (new pid, healthy). For a service, its own
 * /healthz must name the new pid: "healthy" must come from the new process, not from whatever holds the port.
 */
export async function faultAndRestart(stack: StackHandle, target: StackProcessName, signal: NodeJS.Signals): Promise<FaultRecord> {
  const at = Date.now();
  const pid = stack.signal(target, signal);
  const state = await stack.waitRestarted(target, pid, DEADLINES.restartMs);
  const restartMs = Date.now() - at;
  const entry = state.processes[target];
  if (entry && entry.pid !== null && SERVICES.has(target)) {
    const answer = await fetch(new URL('/healthz', entry.url), { signal: AbortSignal.timeout(5_000) })
      .then((res) => res.json() as Promise<{ pid?: unknown }>)
      .catch((err: Error) => ({ error: err.message }));
    if (!('pid' in answer) || answer.pid !== entry.pid) {
      throw new Error(`${target} restarted as pid ${entry.pid} (stack.json), but its /healthz answered ${JSON.stringify(answer)}`);
    }
  }
  return { target, signal, pid, at, newPid: entry?.pid ?? undefined, restartMs };
}

const SERVICES = new Set<StackProcessName>(['collector', 'enricher', 'sink', 'trainer', 'scorer']);

function restartCounts(state: StackState | undefined): Record<string, number> {
  return Object.fromEntries(Object.entries(state?.processes ?? {}).map(([name, p]) => [name, p.restarts]));
}

function restartDelta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(after).map(([name, n]) => [name, n - (before[name] ?? 0)]));
}

function describeLoad(load: LoadStats): string {
  const seconds = load.durationMs / 1000;
  const rate = seconds > 0 ? Math.round(load.acknowledged / seconds) : 0;
  return `load: ${load.acknowledged} acknowledged in ${seconds.toFixed(1)} s (~${rate}/s), ${load.requests} requests, ${load.retries} retries, answers ${JSON.stringify(load.answers)}`;
}

function describeFault(fault: FaultRecord): string {
  const back = fault.restartMs === undefined ? '' : ` (back in ${(fault.restartMs / 1000).toFixed(1)} s)`;
  return `${fault.signal} ${fault.target}${back}`;
}
