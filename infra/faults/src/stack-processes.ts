import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

// Which processes of a stack are still there. Linux only (/proc), like the rest of the local stack.

/**
 * process.kill(pid, 0), except that a zombie (exited, not yet reaped by its parent) counts as gone: it holds no
 * port, no file and runs no code.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  return processState(pid) !== 'Z';
}

/** One-letter state from /proc/<pid>/stat (R, S, T, Z, ...), undefined when the process is gone. */
export function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // NOTE: the command name (field 2) may hold spaces and parentheses; the state follows the LAST ')'.
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

export interface StrayProcess {
  pid: number;
  command: string;
}

/**
 * Live processes that belong to a stack in `dir` or below it: their environment carries TELLTALE_LOCAL_DIR=<that
 * dir> (the launcher passes it on to everything it starts) or they run java or node with it on the command line (the
 * Kafka JVM's server.properties lives there). Catches what stack.json does not list, e.g. a wrapper shell or a grandchild.
 */
export function processesUnder(dir: string): StrayProcess[] {
  const marker = `TELLTALE_LOCAL_DIR=${dir}`;
  const found: StrayProcess[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    const command = readProc(pid, 'cmdline');
    const environ = readProc(pid, 'environ');
    if (command === undefined) continue;
    const inEnv = environ?.split('\0').some((kv) => kv === marker || kv.startsWith(`${marker}/`)) ?? false;
    // NOTE: by command line only a runtime counts (java, node), not a shell or `tail -f` that merely names the dir.
    const runtime = path.basename(command.split('\0')[0] ?? '');
    const belongs = inEnv || ((runtime === 'java' || runtime === 'node') && command.includes(dir));
    if (belongs && isAlive(pid)) found.push({ pid, command: command.replaceAll('\0', ' ').trim().slice(0, 200) });
  }
  return found;
}

function readProc(pid: number, file: 'cmdline' | 'environ'): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined;
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The promise's value, or undefined once `ms` passed first; the timer never outlives the race. */
export async function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
