import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { commandLineOf } from './proc';

/** What the launcher listens on, before TELLTALE_PORT_OFFSET is added. */
export const BASE_PORTS = {
  kafka: 9092,
  kafkaController: 9093,
  clickhouse: 8123,
  collector: 8080,
  enricher: 9101,
  sink: 9102,
  trainer: 9103,
  scorer: 9104,
  /** The live web view (services/console). */
  console: 8090,
  /** The read-only query API (services/query). */
  query: 8070,
} as const;

export type PortName = keyof typeof BASE_PORTS;
export type StackPorts = Record<PortName, number>;

export function stackPorts(offset: number): StackPorts {
  return Object.fromEntries(Object.entries(BASE_PORTS).map(([name, port]) => [name, port + offset])) as StackPorts;
}

/**
 * Socket inodes listening on TCP `port` (any address, IPv4 or IPv6), from /proc/net/tcp{,6} text. Columns:
 * sl local_address rem_address st ... inode; local_address is HEXIP:HEXPORT and st 0A is LISTEN.
 */
export function parseListeningInodes(procNetTcp: string, port: number): string[] {
  const inodes: string[] = [];
  for (const line of procNetTcp.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    const local = cols[1];
    if (local === undefined || cols[3] !== '0A') continue;
    if (parseInt(local.slice(local.lastIndexOf(':') + 1), 16) === port && cols[9] !== undefined) inodes.push(cols[9]);
  }
  return inodes;
}

function listeningInodes(port: number): string[] {
  return ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((file) => {
    try {
      return parseListeningInodes(readFileSync(file, 'utf8'), port);
    } catch {
      return []; // no IPv6 on this machine
    }
  });
}

function socketInodesOf(pid: number | string): Set<string> {
  const inodes = new Set<string>();
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return inodes; // gone, or another user's process
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m?.[1]) inodes.add(m[1]);
    } catch {
      // closed while we looked
    }
  }
  return inodes;
}

/** True when something listens on `port`. */
export function isListening(port: number): boolean {
  return listeningInodes(port).length > 0;
}

/** True when `pid` itself holds the socket listening on `port`: the answer on that port is this process's. */
export function listensOn(pid: number, port: number): boolean {
  const wanted = listeningInodes(port);
  if (wanted.length === 0) return false;
  const own = socketInodesOf(pid);
  return wanted.some((inode) => own.has(inode));
}

/** The pids holding a socket that listens on `port`: /proc/<pid>/fd first, `ss -ltnp` when those cannot be read. */
export function listenerPids(port: number): number[] {
  const wanted = new Set(listeningInodes(port));
  if (wanted.size === 0) return [];
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    for (const inode of socketInodesOf(entry)) {
      if (wanted.has(inode)) {
        pids.push(Number(entry));
        break;
      }
    }
  }
  if (pids.length > 0) return pids;
  const ss = spawnSync('ss', ['-Hltnp', `sport = :${port}`], { encoding: 'utf8' });
  return [...new Set([...(ss.stdout ?? '').matchAll(/pid=(\d+)/g)].map((m) => Number(m[1])))];
}

/** "pid 1234 (node … services/collector/src/main.ts)", or why the pid is unknown. */
export function describeListener(port: number): string {
  const pids = listenerPids(port);
  if (pids.length === 0) return 'a process whose pid this user cannot see';
  return pids.map((pid) => `pid ${pid}${describeCommand(commandLineOf(pid))}`).join(', ');
}

/** The program and its last two arguments (the script, the config file): what tells one of ours from a stranger. */
function describeCommand(argv: string[] | undefined): string {
  if (!argv || argv.length === 0) return '';
  const program = argv[0]!.split('/').pop();
  return argv.length <= 3 ? ` (${argv.join(' ')})` : ` (${program} … ${argv.slice(-2).join(' ')})`;
}
