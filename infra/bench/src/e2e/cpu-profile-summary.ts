import { readFileSync } from 'node:fs';
import path from 'node:path';

// Top entries of a V8 .cpuprofile (written by `node --cpu-prof`): self time per function and per package, the
// numbers the optimisation work is chosen by.

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface ProfileEntry {
  name: string;
  selfMs: number;
  /** Share of the profile's busy (not idle) time, %. */
  selfPct: number;
}

export interface ProfileSummary {
  file: string;
  /** What the process was, when its file name does not say (a ceiling run's service). */
  label?: string;
  durationS: number;
  /** Sampled time not idle, s. */
  busyS: number;
  topFunctions: ProfileEntry[];
  topPackages: ProfileEntry[];
}

/** Where a function comes from: an npm package, a workspace package or service, node itself, or V8's own entries. */
export function packageOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0];
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 14).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const m = /\/(services|packages|infra)\/([^/]+)\//.exec(url);
  return m ? `${m[1]}/${m[2]}` : path.basename(url);
}

export function summariseCpuProfile(file: string, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  // Self time per node: the time deltas of the samples that landed on it (hitCount × mean interval when absent).
  const selfUs = new Map<number, number>();
  if (profile.samples && profile.timeDeltas) {
    for (let i = 0; i < profile.samples.length; i++) {
      // TRICKY: timeDeltas[i] is the time BEFORE sample i; the time a sample stands for is the next delta.
      const dt = profile.timeDeltas[i + 1] ?? 0;
      selfUs.set(profile.samples[i]!, (selfUs.get(profile.samples[i]!) ?? 0) + Math.max(0, dt));
    }
  } else {
    const total = profile.nodes.reduce((n, x) => n + (x.hitCount ?? 0), 0);
    const interval = total > 0 ? (profile.endTime - profile.startTime) / total : 0;
    for (const n of profile.nodes) selfUs.set(n.id, (n.hitCount ?? 0) * interval);
  }
  const functions = new Map<string, number>();
  const packages = new Map<string, number>();
  let busyUs = 0;
  let allUs = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    allUs += us;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') continue;
    busyUs += us;
    const pkg = packageOf(url, functionName);
    const name = url === '' ? functionName : `${functionName || '(anonymous)'} ${pkg}:${path.basename(url)}:${lineNumber + 1}`;
    functions.set(name, (functions.get(name) ?? 0) + us);
    packages.set(pkg, (packages.get(pkg) ?? 0) + us);
  }
  const entries = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, selfMs: Math.round(us / 1000), selfPct: allUs > 0 ? Math.round((us / busyUs) * 1000) / 10 : 0 }));
  return {
    file,
    durationS: Math.round((profile.endTime - profile.startTime) / 1e5) / 10,
    busyS: Math.round(busyUs / 1e5) / 10,
    topFunctions: entries(functions),
    topPackages: entries(packages),
  };
}
