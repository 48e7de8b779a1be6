/**
 * `pnpm stop`: stops the stack recorded in <TELLTALE_LOCAL_DIR>/stack.json (default <repo>/.local). A live launcher
 * gets SIGTERM and runs its own ordered stop; whatever it recorded that still runs afterwards (a launcher that was
 * killed and whose reaper was killed too) is stopped here in the same order. Exit 0 when nothing is left running.
 */
import { commandLineOf, isRunning, startTimeOf } from './proc';
import { STACK_STOP_ORDER, isLauncher, launcherSettings } from './launcher';
import { readStackFile, type StackProcessName } from './stack-file';

const say = (line: string) => process.stdout.write(`${line}\n`);

/** What a recorded process's command line must contain to be the one we recorded, not a pid recycled since. */
const IDENTITY: Record<StackProcessName | 'reaper', string> = {
  kafka: 'kafka.Kafka',
  clickhouse: 'chdb-server/src/main.ts',
  collector: 'services/collector/src/main.ts',
  enricher: 'services/enricher/src/main.ts',
  sink: 'services/sink/src/main.ts',
  trainer: 'services/trainer/src/main.ts',
  scorer: 'services/scorer/src/main.ts',
  console: 'services/console/src/main.ts',
  query: 'services/query/src/main.ts',
  reaper: 'local-stack/src/reaper.main.ts',
};

function isRecorded(name: StackProcessName | 'reaper', pid: number | null): pid is number {
  return pid !== null && isRunning(pid) && (commandLineOf(pid) ?? []).some((arg) => arg.includes(IDENTITY[name]));
}

async function waitGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isRunning(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}

async function main(): Promise<number> {
  const settings = launcherSettings();
  const stack = readStackFile(settings.stackFile);
  if (!stack) {
    say(`no stack recorded in ${settings.stackFile}: nothing to stop`);
    return 0;
  }
  if (isLauncher(stack.launcherPid)) {
    say(`stopping the launcher (pid ${stack.launcherPid}): traffic → collector → enricher → scorer → trainer → sink → clickhouse → kafka`);
    process.kill(stack.launcherPid, 'SIGTERM');
    // Services get 20 s each and Kafka 30 s before SIGKILL; a stop that takes longer than all of that is stuck.
    if (!(await waitGone(stack.launcherPid, 180_000))) {
      say(`the launcher (pid ${stack.launcherPid}) is still running after 180 s; stopping what it recorded directly`);
    } else {
      say('launcher exited');
    }
  }
  // Leftovers, in stop order; the reaper last, so it cannot race us for them.
  let left = 0;
  for (const name of [...STACK_STOP_ORDER, 'reaper'] as const) {
    const pid = name === 'reaper' ? stack.reaperPid : (stack.processes[name]?.pid ?? null);
    if (!isRecorded(name, pid)) continue;
    const startTime = startTimeOf(pid);
    say(`${name} (pid ${pid}) still runs: SIGTERM`);
    process.kill(pid, 'SIGTERM');
    if (!(await waitGone(pid, name === 'kafka' ? 30_000 : 20_000))) {
      say(`${name} (pid ${pid}) still runs: SIGKILL to its process group`);
      // Same process still (start time), so its pid still names its group.
      if (startTime !== undefined && startTimeOf(pid) === startTime) process.kill(-pid, 'SIGKILL');
      if (!(await waitGone(pid, 5_000))) left++;
    }
  }
  say(left === 0 ? 'stopped: nothing recorded in stack.json runs any more' : `${left} process(es) could not be stopped`);
  return left === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`pnpm stop: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
