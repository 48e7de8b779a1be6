import { readFileSync, renameSync, writeFileSync } from 'node:fs';

// <TELLTALE_LOCAL_DIR>/stack.json: what a running launcher owns, for `pnpm stop`, for the next `pnpm start` (is an
// earlier launcher still alive?) and for fault tests (which pid to kill, did it come back). The shape is a contract
// between engineers: change it only together with its readers.

export const STACK_PROCESS_NAMES = ['kafka', 'clickhouse', 'collector', 'enricher', 'sink', 'trainer', 'scorer', 'console', 'query'] as const;
export type StackProcessName = (typeof STACK_PROCESS_NAMES)[number];

export type ProcessStatus = 'starting' | 'healthy' | 'exited' | 'restarting' | 'stopped';

export interface StackProcessEntry {
  /** The current incarnation's pid; the last one once stopped; null before the first spawn. */
  pid: number | null;
  port: number;
  url: string;
  /** Respawns after an exit the launcher did not ask for. */
  restarts: number;
  status: ProcessStatus;
}

export interface StackFile {
  launcherPid: number;
  reaperPid: number | null;
  startedAt: string;
  /** True once every process was healthy the first time. */
  ready: boolean;
  stopping: boolean;
  /** kafka / clickhouse are absent when KAFKA_BROKERS / CLICKHOUSE_URL point elsewhere. */
  processes: Partial<Record<StackProcessName, StackProcessEntry>>;
}

/** Writes a temp file and renames it over the old one, so a reader never sees half a file. */
export function writeStackFile(file: string, stack: StackFile): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(stack, null, 2)}\n`);
  renameSync(tmp, file);
}

/** The recorded stack, or undefined when there is none (or it cannot be parsed: nothing to trust in it). */
export function readStackFile(file: string): StackFile | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = JSON.parse(text) as Partial<StackFile>;
    return typeof parsed.launcherPid === 'number' && typeof parsed.processes === 'object' ? (parsed as StackFile) : undefined;
  } catch {
    return undefined;
  }
}
