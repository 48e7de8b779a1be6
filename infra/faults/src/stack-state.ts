import { readFileSync } from 'node:fs';
import { z } from 'zod';

// `<TELLTALE_LOCAL_DIR>/stack.json`, the launcher's account of what it runs, rewritten atomically on every change.
// Parsed with a schema so a launcher that drifts from the contract fails here with the field that differs.

export const STACK_PROCESSES = ['kafka', 'clickhouse', 'collector', 'enricher', 'sink', 'trainer', 'scorer'] as const;
export type StackProcessName = (typeof STACK_PROCESSES)[number];

const processEntry = z.object({
  /** The current incarnation; the last one once stopped; null before the first spawn. */
  pid: z.number().int().nullable(),
  port: z.number().int(),
  url: z.string(),
  restarts: z.number().int().min(0),
  status: z.enum(['starting', 'healthy', 'exited', 'restarting', 'stopped']),
});
export type StackProcess = z.infer<typeof processEntry>;

const stackState = z.object({
  launcherPid: z.number().int(),
  /** null once the reaper is gone (after a stop). */
  reaperPid: z.number().int().nullable(),
  startedAt: z.string(),
  ready: z.boolean(),
  stopping: z.boolean(),
  processes: z.record(z.string(), processEntry),
});
export type StackState = z.infer<typeof stackState>;

/** The file's state; undefined while the launcher has not written it yet. Throws when it breaks the contract. */
export function readStackState(file: string): StackState | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const parsed = stackState.safeParse(JSON.parse(text));
  if (!parsed.success) {
    throw new Error(`${file} does not match the launcher contract: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

/** Every pid the launcher accounts for: itself, its reaper and each child. */
export function pidsOf(state: StackState): Array<{ name: string; pid: number }> {
  const all = [
    { name: 'launcher', pid: state.launcherPid },
    { name: 'reaper', pid: state.reaperPid },
    ...Object.entries(state.processes).map(([name, p]) => ({ name, pid: p.pid })),
  ];
  return all.filter((p): p is { name: string; pid: number } => p.pid !== null && p.pid > 0);
}
