import { readFileSync } from 'node:fs';

// Process identity from /proc (Linux). A pid alone is not an identity: pids are recycled (pid_max is 32768 on small
// machines), so before signalling a pid we recorded earlier we compare its start time with the one we recorded.

export interface ProcStat {
  /** R, S, D, Z (zombie: exited, waiting to be reaped), T, ... */
  state: string;
  /** Process group id. */
  pgrp: number;
  /** Clock ticks after boot; with the pid, identifies one process for the machine's uptime. */
  startTime: number;
}

/** Parses /proc/<pid>/stat. The command name (field 2) may hold spaces and parentheses, so fields count from the last ')'. */
export function parseProcStat(text: string): ProcStat | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const fields = text.slice(close + 2).split(' ');
  // fields[0] is field 3 (state); field 5 is pgrp, field 22 is starttime.
  const state = fields[0];
  const pgrp = Number(fields[2]);
  const startTime = Number(fields[19]);
  if (state === undefined || !Number.isInteger(pgrp) || !Number.isInteger(startTime)) return undefined;
  return { state, pgrp, startTime };
}

export function procStat(pid: number): ProcStat | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined; // no such process
  }
}

/** The start time to record right after spawning, for `sameProcess` later. */
export function startTimeOf(pid: number): number | undefined {
  return procStat(pid)?.startTime;
}

/**
 * True while `pid` runs and is not a zombie. NOTE: an orphan's zombie stays until init reaps it, and some container
 * inits never do; a zombie has exited and holds nothing but its pid, so it counts as gone.
 */
export function isRunning(pid: number): boolean {
  const stat = procStat(pid);
  return stat !== undefined && stat.state !== 'Z';
}

/** True while the process we recorded (pid + start time) still runs: false once it exited or its pid was reused. */
export function sameProcess(pid: number, startTime: number): boolean {
  const stat = procStat(pid);
  return stat !== undefined && stat.state !== 'Z' && stat.startTime === startTime;
}

/** The command line's arguments; undefined when the process is gone (or a zombie, whose cmdline is empty). */
export function commandLineOf(pid: number): string[] | undefined {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    return argv.length > 0 ? argv : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Sends `signal` to the process group led by the process we recorded. TRICKY: Linux keeps a pid number taken while
 * it names a live process group, so when the leader's pid runs with another start time the old group is gone and
 * the number belongs to a stranger: nothing is sent. When the leader exited, the rest of its group still gets it.
 */
export function signalGroup(pid: number, startTime: number, signal: NodeJS.Signals): boolean {
  if (!Number.isInteger(pid) || pid <= 1) return false; // -1 would signal every process we may signal; -0 our own group
  const stat = procStat(pid);
  if (stat !== undefined && stat.startTime !== startTime) return false;
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false; // ESRCH: the group is gone
  }
}

/** Sends `signal` to the process we recorded, and only to it. */
export function signalProcess(pid: number, startTime: number, signal: NodeJS.Signals): boolean {
  if (!Number.isInteger(pid) || pid <= 1) return false;
  if (!sameProcess(pid, startTime)) return false;
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}
