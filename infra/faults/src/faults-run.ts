import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FaultsProfile } from './faults-profile';
import { REPO_ROOT } from './stack-handle';
import { isAlive, processesUnder } from './stack-processes';

export const FAULTS_DIR = path.join(REPO_ROOT, '.local', 'faults');
/** Names the process running a run, so the next run can tell a live run from one that died without clean-up. */
const OWNER_FILE = 'owner.json';

export interface FaultsRun {
  /** Also the messageId root: every scenario's ids start with `<runId>-<scenario>-`. */
  runId: string;
  /** `.local/faults/<runId>/`: one TELLTALE_LOCAL_DIR per stack below it, and each launcher's output beside it. */
  dir: string;
  profile: FaultsProfile;
  startedAt: string;
}

/**
 * A new run directory. Every run's stacks use the same ports (offset 20000), so first:
 * - a run whose process is still alive is running now: refuse, naming it, rather than fight over ports;
 * - a run whose process died without its clean-up (a SIGKILLed jest) may have left a stack: end it, it is ours.
 */
export function newFaultsRun(profile: FaultsProfile, log: (line: string) => void): FaultsRun {
  for (const earlier of earlierRuns()) {
    const left = processesUnder(earlier.dir);
    if (left.length === 0) continue;
    if (earlier.ownerPid !== undefined && isAlive(earlier.ownerPid)) {
      throw new Error(
        `another load-and-fault run (pid ${earlier.ownerPid}, ${earlier.dir}) is running a stack on the same ports; ` +
          `wait for it or stop it (its processes: ${left.map((p) => p.pid).join(', ')})`,
      );
    }
    log(`ending ${left.length} processes an earlier, dead run left behind in ${earlier.dir}: ${left.map((p) => `${p.pid} ${p.command.slice(0, 60)}`).join('; ')}`);
    for (const { pid } of left) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  const now = new Date();
  const runId = `${now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)}-${profile.name}-${randomBytes(2).toString('hex')}`;
  const dir = path.join(FAULTS_DIR, runId);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, OWNER_FILE), `${JSON.stringify({ pid: process.pid })}\n`);
  return { runId, dir, profile, startedAt: now.toISOString() };
}

function earlierRuns(): Array<{ dir: string; ownerPid?: number }> {
  let names: string[];
  try {
    names = readdirSync(FAULTS_DIR, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
  } catch {
    return [];
  }
  return names.map((name) => {
    const dir = path.join(FAULTS_DIR, name);
    try {
      const owner = JSON.parse(readFileSync(path.join(dir, OWNER_FILE), 'utf8')) as { pid?: unknown };
      return { dir, ownerPid: typeof owner.pid === 'number' ? owner.pid : undefined };
    } catch {
      return { dir };
    }
  });
}
