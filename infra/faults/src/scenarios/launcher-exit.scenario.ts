import path from 'node:path';
import { newResult, type ScenarioResult } from '../fault-report';
import { finish } from '../load-scenario';
import { LoadDriver } from '../load-driver';
import type { FaultsRun } from '../faults-run';
import { DEADLINES, STACK_ENV } from '../pipeline-under-test';
import { ShopperEvents } from '../shopper-events';
import { StackHandle } from '../stack-handle';
import { withDeadline } from '../stack-processes';

/** How the launcher goes: a closed terminal (SIGHUP to its process group) or kill -9 of the launcher alone. */
export type LauncherExit = 'launcher-sighup' | 'launcher-kill';

/** Time for the ordered stop (SIGHUP) or the reaper (kill -9) to end every process of the stack. */
const ALL_GONE_MS = 120_000;

/**
 * A fresh stack under light load, then the launcher goes away. Afterwards no process of the stack may be left:
 * every pid stack.json named (launcher, reaper, each child) and anything else carrying the stack's directory.
 */
export async function launcherExitScenario(run: FaultsRun, how: LauncherExit): Promise<ScenarioResult> {
  const result = newResult(how);
  const t0 = Date.now();
  const stack = StackHandle.start({ dir: path.join(run.dir, how), env: STACK_ENV });
  try {
    await stack.waitReady(DEADLINES.stackReadyMs);
    const collectorUrl = stack.process('collector').url;
    // Work in flight when the launcher goes: requests, produce batches, inserts.
    const driver = new LoadDriver({ collectorUrl, source: new ShopperEvents(`${run.runId}-${how}-`), eventsPerSecond: 200, connections: 4 }).start();
    await driver.waitForAcknowledged(200, 60_000);

    const pids = stack.knownPids();
    const at = Date.now();
    if (how === 'launcher-sighup') stack.signalLauncher('SIGHUP', 'group');
    else stack.signalLauncher('SIGKILL');
    result.faults.push({ target: 'launcher', signal: how === 'launcher-sighup' ? 'SIGHUP' : 'SIGKILL', pid: stack.launcherPid, at });

    const leftovers = await stack.leftoversAfter(pids, ALL_GONE_MS);
    const goneAt = Date.now();
    const load = await driver.stop(1_000); // the collector is gone: nothing more will be answered
    result.load = load;
    result.acknowledged = load.acknowledged;
    result.notes.push(`${pids.length} pids in stack.json (${pids.map((p) => `${p.name} ${p.pid}`).join(', ')})`);
    const exit = await withDeadline(stack.launcherExited(), 5_000);
    result.notes.push(`launcher exit: ${exit ? (exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`) : 'none seen'}`);
    // A closed terminal is an ordinary way to stop: the same ordered stop as Ctrl-C, so the same exit code 0.
    if (how === 'launcher-sighup' && exit?.code !== 0) {
      result.failures.push(`the launcher did not exit 0 after SIGHUP (${exit ? JSON.stringify(exit) : 'no exit seen'})\n${stack.logTail('launcher')}`);
    }
    if (leftovers.length === 0) {
      result.recoverMs = goneAt - at;
    } else {
      result.failures.push(
        `${leftovers.length} processes of the stack still alive ${ALL_GONE_MS / 1000} s after the ${how === 'launcher-sighup' ? 'SIGHUP' : 'kill -9'}: ` +
          `${leftovers.map((p) => `${p.pid} ${p.command}`).join('; ')}\n${stack.logTail('launcher')}`,
      );
    }
  } catch (err) {
    result.failures.push((err as Error).message);
  } finally {
    stack.killAll();
  }
  return finish(result, t0);
}
